import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { formatReport, runConformance } from '@coffer/sdk'
import type { Storage } from '@coffer/sdk'
import { createResticEngine } from '../src/index.js'
import { makeTempDir, randomPassword, removeAll, resticBinary } from './helpers.js'
import hostileArtifacts from './hostile_hook.js'
import { openS3Storage, openSftpStorage } from './remote_storages.js'

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
      hostileArtifacts,
    })
    expect(report.passed, formatReport(report, { onlyFailed: true })).toBe(true)
  } finally {
    await storage.close()
  }
}

describe('restic conformance on remote destinations', () => {
  // The jump host changes only how the SSH connection is made, and remote_repository.test.ts
  // backs up and restores through it, so the kit runs on the direct connection only.
  test('sftp', async () => {
    await conformance(await openSftpStorage('restic-conformance'))
  }, 3_600_000)

  test('s3', async () => {
    await conformance(await openS3Storage('restic-conformance'))
  }, 3_600_000)
})
