import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { BackupResult, LocalStorage } from '@coffer/sdk'
import { createResticEngine } from '../src/index.js'
import { ResticRepository } from '../src/repository.js'
import type { RestoreGuard } from '../src/restore_guard.js'
import { selectionArguments } from '../src/restore_selection.js'
import {
  makeContext,
  makeLocalStorage,
  makeTempDir,
  randomPassword,
  removeAll,
  resticBinary,
} from './helpers.js'

// These tests run the patterns of restore_selection.ts through the real restic, so they check
// how restic reads them: escaped glob characters, U+FFFD as `?`, and negated includes.

const binary = resticBinary()
const engine = createResticEngine({ binary })
const password = randomPassword()
let storage: LocalStorage
let backup: BackupResult

/** The name b\xffc, which is not valid UTF-8 and which restic lists as "b\uFFFDc". */
const INVALID_NAME = Buffer.from([0x62, 0xff, 0x63])

beforeAll(async () => {
  ;({ storage } = await makeLocalStorage())
  const volume = path.join(await makeTempDir('volume'), 'vol')
  await fs.mkdir(path.join(volume, 'a'), { recursive: true })
  await fs.writeFile(path.join(volume, 'a/keep.txt'), 'keep\n')
  await fs.writeFile(path.join(volume, 'a/b[1]'), 'glob name\n')
  await fs.writeFile(path.join(volume, 'a/b1'), 'other name\n')
  await fs.mkdir(path.join(volume, 'st*r'))
  await fs.writeFile(path.join(volume, 'st*r/inside.txt'), 'inside\n')
  await fs.writeFile(path.join(volume, 'stxr'), 'other name\n')
  await fs.mkdir(Buffer.concat([Buffer.from(`${volume}/`), INVALID_NAME]))
  await fs.writeFile(path.join(volume, 'bxc'), 'matched by the same pattern\n')
  await fs.writeFile(path.join(volume, 'bxd'), 'other name\n')
  backup = await engine.backup(await makeContext(storage, password), {
    snapshotId: 'patterns',
    source: { kind: 'path', path: volume },
    tags: {},
  })
})

afterAll(removeAll)

/** Runs `restic restore` with the filter arguments for `guard`, and lists what it restored. */
async function restoreWith(guard: RestoreGuard): Promise<string[]> {
  const context = await makeContext(storage, password)
  const repository = await ResticRepository.open(context, { binary }, { create: false })
  const target = await makeTempDir('target')
  try {
    await repository.run('restore', [
      backup.snapshot.engineSnapshotId!,
      '--target',
      target,
      ...selectionArguments('vol', guard),
    ])
  } finally {
    await repository.close()
  }

  return listTree(path.join(target, 'vol'))
}

/** Lists every entry below `root` as a relative path, with each byte read as Latin-1. */
async function listTree(root: string, relative = ''): Promise<string[]> {
  const found: string[] = []
  const folder = Buffer.from(path.join(root, relative), 'latin1')
  for (const name of await fs.readdir(folder, { encoding: 'buffer' })) {
    const child =
      relative === '' ? name.toString('latin1') : `${relative}/${name.toString('latin1')}`
    found.push(child)
    const stats = await fs.lstat(Buffer.from(path.join(root, child), 'latin1'))
    if (stats.isDirectory()) {
      found.push(...(await listTree(root, child)))
    }
  }

  return found.sort()
}

describe('restic restore patterns', () => {
  test('exclusions on the whole volume', async () => {
    // `/vol/b?c` also matches "bxc", which the guard reports for that reason.
    const restored = await restoreWith({
      rejected: [],
      excluded: ['/vol/st*r', '/vol/b\uFFFDc'],
      paths: undefined,
      invalidNames: new Set(),
    })
    expect(restored).toEqual(['a', 'a/b1', 'a/b[1]', 'a/keep.txt', 'bxd', 'stxr'])
  })

  test('negated includes in a chosen path', async () => {
    const restored = await restoreWith({
      rejected: [],
      excluded: ['/vol/a/b[1]'],
      paths: ['a', 'stxr'],
      invalidNames: new Set(),
    })
    expect(restored).toEqual(['a', 'a/b1', 'a/keep.txt', 'stxr'])
  })
})
