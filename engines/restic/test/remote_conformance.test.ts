import fs from 'node:fs/promises'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, test } from 'vitest'
import { formatReport, runConformance } from '@coffer/sdk'
import type { Storage } from '@coffer/sdk'
import { openStorage } from '@coffer/agent/destinations'
import { createResticEngine } from '../src/index.js'
import { makeTempDir, randomPassword, removeAll, requireEnv, resticBinary } from './helpers.js'

afterAll(removeAll)

const manifestPath = path.resolve(import.meta.dirname, '../engine.manifest.json')

/**
 * Runs the SDK's conformance kit with the repository on `storage`. The whole corpus runs on
 * local storage (conformance.test.ts). Here the `metadata` volume (owners, modes, xattrs,
 * sub-second times, empty files and folders) runs every operation through each remote
 * location: each operation is a restic process with its own SSH or HTTPS session, so the whole
 * corpus took about 24 minutes for three locations on a 2-core machine.
 */
async function conformance(storage: Storage): Promise<void> {
  const manifest = JSON.parse(await fs.readFile(manifestPath, 'utf8'))
  try {
    const report = await runConformance({
      engine: createResticEngine({ binary: resticBinary() }),
      options: { repositoryPassword: randomPassword() },
      workDir: await makeTempDir('conformance'),
      storage,
      capabilities: manifest.capabilities,
      volumes: ['metadata'],
    })
    expect(report.passed, formatReport(report, { onlyFailed: true })).toBe(true)
  } finally {
    await storage.close()
  }
}

async function sftpStorage() {
  const env = requireEnv('sftp', [
    'SFTP_HOST',
    'SFTP_PORT',
    'SFTP_USER',
    'SFTP_KEY_FILE',
    'SFTP_HOST_KEY_FILE',
    'SFTP_ROOT',
  ])
  const config = {
    kind: 'sftp' as const,
    host: env.SFTP_HOST,
    port: Number(env.SFTP_PORT),
    username: env.SFTP_USER,
    path: `${env.SFTP_ROOT}/restic-conformance-${randomBytes(4).toString('hex')}`,
    hostKey: (await fs.readFile(env.SFTP_HOST_KEY_FILE, 'utf8')).trim(),
  }
  return openStorage(config, { privateKey: await fs.readFile(env.SFTP_KEY_FILE, 'utf8') })
}

describe('restic conformance on remote destinations', () => {
  // The jump host changes only how the SSH connection is made, and remote_repository.test.ts
  // backs up and restores through it, so the kit runs on the direct connection only.
  test('sftp', async () => {
    await conformance(await sftpStorage())
  }, 3_600_000)

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
        prefix: `restic-conformance-${randomBytes(4).toString('hex')}/`,
        caCertificate: await fs.readFile(env.S3_CA_FILE, 'utf8'),
      },
      { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY }
    )
    await conformance(storage)
  }, 3_600_000)
})
