import fs from 'node:fs/promises'
import path from 'node:path'
import type net from 'node:net'
import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, test } from 'vitest'
import type { Storage } from '@coffer/sdk'
import { openStorage } from '@coffer/agent/destinations'
import { createResticEngine } from '../src/index.js'
import { buildCorpus, describeTree } from './corpus.js'
import {
  makeContext,
  makeTempDir,
  randomPassword,
  removeAll,
  requireEnv,
  resticBinary,
} from './helpers.js'

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

function sftpSettings() {
  return requireEnv('sftp', [
    'SFTP_HOST',
    'SFTP_PORT',
    'SFTP_USER',
    'SFTP_KEY_FILE',
    'SFTP_HOST_KEY_FILE',
    'SFTP_ROOT',
    'SFTP_JUMP_PORT',
    'SFTP_JUMP_USER',
    'SFTP_JUMP_HOST_KEY_FILE',
  ])
}

describe('restic repository on remote destinations', () => {
  test('sftp direct', async () => {
    const env = sftpSettings()
    const storage = openStorage(
      {
        kind: 'sftp',
        host: env.SFTP_HOST,
        port: Number(env.SFTP_PORT),
        username: env.SFTP_USER,
        path: `${env.SFTP_ROOT}/restic-${randomBytes(4).toString('hex')}`,
        hostKey: (await fs.readFile(env.SFTP_HOST_KEY_FILE, 'utf8')).trim(),
      },
      { privateKey: await fs.readFile(env.SFTP_KEY_FILE, 'utf8') }
    )
    try {
      await roundTrip(storage)
    } finally {
      await storage.close()
    }
  }, 300_000)

  test('sftp through jump host', async () => {
    const env = sftpSettings()
    const storage = openStorage(
      {
        kind: 'sftp',
        host: env.SFTP_HOST,
        port: Number(env.SFTP_PORT),
        username: env.SFTP_USER,
        path: `${env.SFTP_ROOT}/restic-${randomBytes(4).toString('hex')}`,
        hostKey: (await fs.readFile(env.SFTP_HOST_KEY_FILE, 'utf8')).trim(),
        jump: {
          host: env.SFTP_HOST,
          port: Number(env.SFTP_JUMP_PORT),
          username: env.SFTP_JUMP_USER,
          hostKey: (await fs.readFile(env.SFTP_JUMP_HOST_KEY_FILE, 'utf8')).trim(),
        },
      },
      { privateKey: await fs.readFile(env.SFTP_KEY_FILE, 'utf8') }
    )
    try {
      await roundTrip(storage)
    } finally {
      await storage.close()
    }
  }, 300_000)

  test('s3', async () => {
    const env = requireEnv('s3', [
      'S3_ENDPOINT',
      'S3_REGION',
      'S3_ACCESS_KEY_ID',
      'S3_SECRET_ACCESS_KEY',
      'S3_BUCKET',
      'S3_CA_FILE',
    ])
    const storage = openStorage(
      {
        kind: 's3',
        bucket: env.S3_BUCKET,
        region: env.S3_REGION,
        endpoint: env.S3_ENDPOINT,
        prefix: `restic-${randomBytes(4).toString('hex')}/`,
        caCertificate: await fs.readFile(env.S3_CA_FILE, 'utf8'),
      },
      { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY }
    )
    try {
      await roundTrip(storage)
    } finally {
      await storage.close()
    }
  }, 300_000)
})
