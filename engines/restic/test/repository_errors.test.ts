import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { isCofferError } from '@coffer/sdk'
import type { BackupResult, CofferError, LocalStorage } from '@coffer/sdk'
import { createResticEngine } from '../src/index.js'
import {
  makeContext,
  makeLocalStorage,
  makeTempDir,
  randomPassword,
  removeAll,
  resticBinary,
} from './helpers.js'

const binary = resticBinary()
const engine = createResticEngine({ binary })
const password = randomPassword()
let storage: LocalStorage
let storageRoot: string
let volume: string
let first: BackupResult

beforeAll(async () => {
  ;({ storage, root: storageRoot } = await makeLocalStorage())
  volume = await makeTempDir('volume')
  await fs.writeFile(path.join(volume, 'file.txt'), 'content\n')
  first = await engine.backup(await makeContext(storage, password), {
    snapshotId: 'snap-1',
    source: { kind: 'path', path: volume },
    tags: {},
  })
})

afterAll(removeAll)

/** Runs `fn` and returns the CofferError it rejects with. */
async function rejection(fn: () => Promise<unknown>): Promise<CofferError> {
  try {
    await fn()
  } catch (error) {
    if (isCofferError(error)) return error
    throw error
  }
  throw new Error('expected the call to reject')
}

/** Runs `fn` and returns the code of the CofferError it rejects with. */
async function errorCode(fn: () => Promise<unknown>): Promise<string> {
  return (await rejection(fn)).code
}

async function repositoryDigest(): Promise<string> {
  const hash = createHash('sha256')
  hash.update(await fs.readFile(path.join(storageRoot, 'repository/config')))
  hash.update((await fs.readdir(path.join(storageRoot, 'repository/keys'))).sort().join(','))
  return hash.digest('hex')
}

/** Starts `restic backup --stdin`, which holds a lock on the repository until stdin closes. */
async function startLockHolder(): Promise<ChildProcess> {
  const secrets = await makeTempDir('secrets')
  await fs.writeFile(path.join(secrets, 'password'), password, { mode: 0o600 })
  const child = spawn(binary, ['backup', '--stdin', '--host', 'coffer', '--quiet'], {
    env: {
      PATH: process.env.PATH,
      RESTIC_REPOSITORY: path.join(storageRoot, 'repository'),
      RESTIC_PASSWORD_FILE: path.join(secrets, 'password'),
      RESTIC_CACHE_DIR: path.join(secrets, 'cache'),
    },
    stdio: ['pipe', 'ignore', 'ignore'],
  })

  const deadline = Date.now() + 20_000
  while ((await locks()).length === 0) {
    if (Date.now() > deadline) throw new Error('restic did not create a lock within 20 s')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return child
}

async function locks(): Promise<string[]> {
  return fs.readdir(path.join(storageRoot, 'repository/locks')).catch(() => [])
}

describe('restic repository errors', () => {
  test('wrong password', async () => {
    const before = await repositoryDigest()
    const other = randomPassword()
    expect(
      await errorCode(async () => engine.listSnapshots(await makeContext(storage, other)))
    ).toBe('WRONG_PASSWORD')
    const backup = async () =>
      engine.backup(await makeContext(storage, other), {
        snapshotId: 'snap-x',
        source: { kind: 'path', path: volume },
        tags: {},
      })
    expect(await errorCode(backup)).toBe('WRONG_PASSWORD')
    expect(await repositoryDigest()).toBe(before)
  })

  test('folder that is no repository', async () => {
    const { storage: other, root } = await makeLocalStorage()
    await fs.mkdir(path.join(root, 'repository'))
    await fs.writeFile(path.join(root, 'repository/notes.txt'), 'not restic')
    const backup = async () =>
      engine.backup(await makeContext(other, password), {
        snapshotId: 'snap-x',
        source: { kind: 'path', path: volume },
        tags: {},
      })
    expect(await errorCode(backup)).toBe('REPOSITORY_MISSING')
    expect(
      await errorCode(async () => engine.listSnapshots(await makeContext(other, password)))
    ).toBe('REPOSITORY_MISSING')
    expect(await fs.readdir(path.join(root, 'repository'))).toEqual(['notes.txt'])
  })

  test('empty destination', async () => {
    const { storage: empty } = await makeLocalStorage()
    expect(await engine.listSnapshots(await makeContext(empty, password))).toEqual([])
    const restore = async () =>
      engine.restore(await makeContext(empty, password), {
        snapshot: first.snapshot,
        target: volume,
        mode: 'merge',
      })
    expect(await errorCode(restore)).toBe('REPOSITORY_MISSING')
  })

  test('live lock', async () => {
    const holder = await startLockHolder()
    try {
      const forget = async () =>
        engine.forget(await makeContext(storage, password), { snapshots: [first.snapshot] })
      expect(await errorCode(forget)).toBe('REPOSITORY_LOCKED')
      expect(await locks()).toHaveLength(1)
    } finally {
      const exited = new Promise((resolve) => holder.once('exit', resolve))
      holder.stdin?.end()
      await exited
    }

    expect(await locks()).toEqual([])
  })

  test('unwritable locks folder', async () => {
    // Root writes anywhere, so this restic runs without CAP_DAC_OVERRIDE and then cannot write to
    // a locks folder owned by another user. restic retries the write for about 45 s first.
    const wrapper = path.join(await makeTempDir('setpriv'), 'restic')
    await fs.writeFile(
      wrapper,
      `#!/bin/sh\nexec setpriv --bounding-set=-dac_override,-dac_read_search -- '${binary}' "$@"\n`,
      { mode: 0o755 }
    )
    const locksFolder = path.join(storageRoot, 'repository/locks')
    await fs.chown(locksFolder, 4321, 4321)
    await fs.chmod(locksFolder, 0o555)
    try {
      const forget = async () =>
        createResticEngine({ binary: wrapper }).forget(await makeContext(storage, password), {
          snapshots: [first.snapshot],
        })
      const error = await rejection(forget)
      expect(error.code).toBe('STORAGE')
      expect(error.message).toContain('permission denied')
      expect(error.message).not.toContain('another running restic process')
    } finally {
      await fs.chmod(locksFolder, 0o700)
      await fs.chown(locksFolder, 0, 0)
    }

    expect(await engine.listSnapshots(await makeContext(storage, password))).toHaveLength(1)
  }, 180_000)

  test('stale lock removed', async () => {
    const holder = await startLockHolder()
    const exited = new Promise((resolve) => holder.once('exit', resolve))
    holder.kill('SIGKILL')
    await exited
    expect(await locks()).toHaveLength(1)

    await engine.forget(await makeContext(storage, password), { snapshots: [first.snapshot] })
    expect(await locks()).toEqual([])
    expect(await engine.listSnapshots(await makeContext(storage, password))).toEqual([])
  })
})
