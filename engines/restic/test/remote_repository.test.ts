import fs from 'node:fs/promises'
import path from 'node:path'
import type net from 'node:net'
import { afterAll, describe, expect, test } from 'vitest'
import type { Storage } from '@coffer/sdk'
import { createResticEngine } from '../src/index.js'
import { buildCorpus, describeTree } from './corpus.js'
import { makeContext, makeTempDir, randomPassword, removeAll, resticBinary } from './helpers.js'
import { openS3Storage, openSftpStorage } from './remote_storages.js'

const engine = createResticEngine({ binary: resticBinary() })
const servers: net.Server[] = []

afterAll(async () => {
  for (const server of servers) server.close()
  await removeAll()
})

/** Backs up a corpus, lists, restores, verifies and forgets with the repository on `storage`. */
async function roundTrip(storage: Storage): Promise<void> {
  const password = randomPassword()
  const volume = path.join(await makeTempDir('volume'), 'data')
  await fs.mkdir(volume)
  servers.push(await buildCorpus(volume))

  const result = await engine.backup(await makeContext(storage, password), {
    snapshotId: 'remote-1',
    source: { kind: 'path', path: volume },
    tags: { place: 'remote' },
  })
  expect(result.warnings.map((warning) => warning.code)).toEqual(['SKIPPED_SOCKET'])
  expect(await storage.stat(result.snapshot.artifacts[0]!.key)).not.toBeNull()

  const snapshots = await engine.listSnapshots(await makeContext(storage, password))
  expect(snapshots.map((snapshot) => snapshot.id)).toEqual(['remote-1'])

  const target = await makeTempDir('target')
  await engine.restore(await makeContext(storage, password), {
    snapshot: result.snapshot,
    target,
    mode: 'replace',
  })
  expect(await describeTree(target)).toEqual(await describeTree(volume))

  const verified = await engine.verify(await makeContext(storage, password), {
    snapshot: result.snapshot,
    level: 'data',
  })
  expect(verified).toEqual({ ok: true, problems: [] })

  const wrong = await engine
    .listSnapshots(await makeContext(storage, randomPassword()))
    .catch((error) => error)
  expect(wrong.code).toBe('WRONG_PASSWORD')

  await engine.forget(await makeContext(storage, password), { snapshots: [result.snapshot] })
  expect(await engine.listSnapshots(await makeContext(storage, password))).toEqual([])
}

describe('restic repository on remote destinations', () => {
  test('sftp direct', async () => {
    const storage = await openSftpStorage('restic')
    try {
      await roundTrip(storage)
    } finally {
      await storage.close()
    }
  }, 300_000)

  test('sftp through jump host', async () => {
    const storage = await openSftpStorage('restic', true)
    try {
      await roundTrip(storage)
    } finally {
      await storage.close()
    }
  }, 300_000)

  test('s3', async () => {
    const storage = await openS3Storage('restic')
    try {
      await roundTrip(storage)
    } finally {
      await storage.close()
    }
  }, 300_000)
})
