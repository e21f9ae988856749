import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, expect, test } from 'vitest'
import engine from '../src/index.js'
import { createSandbox, randomKey, sh, type Sandbox } from './helpers.js'

const HOSTILE_SCRIPT = new URL('./fixtures/hostile_tar.py', import.meta.url).pathname

let sandbox: Sandbox
let outside: string
let target: string

beforeEach(async () => {
  sandbox = await createSandbox()
  outside = join(sandbox.root, 'outside')
  target = join(sandbox.root, 'level', 'target')
  mkdirSync(outside)
  mkdirSync(target, { recursive: true })
  writeFileSync(join(outside, 'secret'), 'do not touch')
})

afterEach(async () => sandbox?.cleanup())

async function backupHostile(options: Record<string, unknown>) {
  const tarBytes = execFileSync('python3', [HOSTILE_SCRIPT, outside])
  const backup = await engine.backup(sandbox.context(options), {
    snapshotId: 'hostile',
    source: { kind: 'tar-stream', stream: Readable.from([tarBytes]) },
    tags: {},
  })
  return backup.snapshot
}

function outsideListing(): string {
  return sh(
    `cd ${sandbox.root} && find . -path ./level/target -prune -o -path './work-*' -prune -o -path ./storage -prune -o -print | sort && sha256sum outside/secret`
  )
}

const expectedRejections = [
  '../climb',
  'sub/../../climb2',
  `base:absolute`,
  'link/through-link',
  'folder',
  'folder/after-swap',
  'passwd-link',
  'climb-link',
  'via-link',
  'file/under-file',
]

test.each(['replace', 'merge'] as const)('hostile archive %s', async (mode) => {
  const options = { encryption: true, encryptionKey: randomKey() }
  const snapshot = await backupHostile(options)
  mkdirSync(join(target, 'preexisting'), { recursive: true })
  sh(`rmdir ${target}/preexisting`)
  symlinkSync(outside, join(target, 'preexisting'))
  const before = outsideListing()

  const result = await engine.restore(sandbox.context(options), { snapshot, target, mode })

  expect(outsideListing()).toBe(before)
  expect(existsSync(join(sandbox.root, 'level', 'climb'))).toBe(false)
  expect(existsSync(join(sandbox.root, 'climb2'))).toBe(false)
  const rejectedPaths = result.rejected.map((entry) => entry.path)
  expect(rejectedPaths).toEqual(
    expectedRejections.map((path) => (path === 'base:absolute' ? `${outside}/absolute` : path))
  )
  for (const entry of result.rejected) {
    expect(entry.reason.length).toBeGreaterThan(0)
  }

  expect(sh(`cat ${target}/good`)).toBe('kept')
  expect(sh(`readlink ${target}/link`).trim()).toBe(outside)
  expect(sh(`stat -c %F ${target}/folder`).trim()).toBe('directory')
  expect(existsSync(join(target, 'folder', 'after-swap'))).toBe(false)
  expect(sh(`stat -c %F ${target}/preexisting`).trim()).toBe('directory')
  expect(sh(`cat ${target}/preexisting/inside`)).toBe('lands inside')
})

test('partial restore rejects through index', async () => {
  const options = { compression: 'gzip' }
  const snapshot = await backupHostile(options)
  const before = outsideListing()

  const result = await engine.restore(sandbox.context(options), {
    snapshot,
    target,
    mode: 'merge',
    paths: ['link', 'via-link'],
  })

  expect(outsideListing()).toBe(before)
  expect(result.rejected.map((entry) => entry.path).sort()).toEqual([
    'link/through-link',
    'via-link',
  ])
  expect(sh(`readlink ${target}/link`).trim()).toBe(outside)
})

test('restore path with dots rejected', async () => {
  const snapshot = await backupHostile({})
  const restore = engine.restore(sandbox.context({}), {
    snapshot,
    target,
    mode: 'merge',
    paths: ['../outside'],
  })
  await expect(restore).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
})
