import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { SnapshotRef } from '@coffer/sdk'
import engine from '../src/index.js'
import { createSandbox, randomKey, sh, type Sandbox } from './helpers.js'

let sandbox: Sandbox
let volume: string
const key = randomKey()

beforeAll(async () => {
  sandbox = await createSandbox()
  volume = join(sandbox.root, 'volume')
  sh(
    `mkdir -p ${volume}/folder && head -c 3000000 /dev/urandom > ${volume}/folder/random && echo small > ${volume}/small`
  )
})

afterAll(async () => sandbox?.cleanup())

async function backup(snapshotId: string, options: Record<string, unknown>): Promise<SnapshotRef> {
  const result = await engine.backup(sandbox.context(options), {
    snapshotId,
    source: { kind: 'path', path: volume },
    tags: {},
  })
  return result.snapshot
}

function flipArchiveBit(snapshot: SnapshotRef, position: number): void {
  const file = join(sandbox.root, 'storage', snapshot.artifacts[0].key)
  const bytes = readFileSync(file)
  bytes[position] ^= 0x10
  writeFileSync(file, bytes)
}

test('restore with wrong key is WRONG_KEY', async () => {
  const snapshot = await backup('keyed', { encryption: true, encryptionKey: key })
  const target = join(sandbox.root, 'target-wrong-key')
  sh(`mkdir ${target}`)

  const restore = engine.restore(
    sandbox.context({ encryption: true, encryptionKey: randomKey() }),
    { snapshot, target, mode: 'replace' }
  )
  await expect(restore).rejects.toMatchObject({ code: 'WRONG_KEY' })
  const listing = engine.listFiles(sandbox.context({ encryptionKey: randomKey() }), { snapshot })
  await expect(listing).rejects.toMatchObject({ code: 'WRONG_KEY' })
  expect(sh(`ls -A ${target}`)).toBe('')
})

test.each([
  { name: 'encrypted', options: { encryption: true, encryptionKey: key } },
  { name: 'plain zstd', options: { compression: 'zstd' } },
  { name: 'plain none', options: { compression: 'none' } },
])('altered archive is CORRUPT ($name)', async ({ name, options }) => {
  const snapshot = await backup(`altered-${name.replace(' ', '-')}`, options)
  flipArchiveBit(snapshot, 1_500_000)
  const target = join(sandbox.root, `target-${name.replace(' ', '-')}`)
  sh(`mkdir ${target} && echo keep > ${target}/existing`)

  const restore = engine.restore(sandbox.context(options), { snapshot, target, mode: 'replace' })
  await expect(restore).rejects.toMatchObject({ code: 'CORRUPT' })
  expect(sh(`ls -A ${target}`)).toBe('existing\n')

  const verdict = await engine.verify(sandbox.context(options), { snapshot, level: 'data' })
  expect(verdict.ok).toBe(false)
  expect(verdict.problems.join(' ')).toContain('CORRUPT')
  const cheap = await engine.verify(sandbox.context(options), { snapshot, level: 'metadata' })
  expect(cheap.ok).toBe(true)
})

test('missing artifact fails structure', async () => {
  const snapshot = await backup('missing', {})
  await sandbox.storage.delete(snapshot.artifacts[1].key)
  const verdict = await engine.verify(sandbox.context({}), { snapshot, level: 'structure' })
  expect(verdict.ok).toBe(false)
  expect(verdict.problems[0]).toContain('is missing')
})
