import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { openStorage } from '../../src/destinations/index.js'
import { describeStorageConformance } from './storage_conformance.js'

const folders: string[] = []

afterAll(async () => {
  for (const folder of folders) {
    await rm(folder, { recursive: true, force: true })
  }
})

describeStorageConformance('local', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'coffer-local-'))
  folders.push(folder)
  return openStorage({ kind: 'local', path: join(folder, 'backups') })
})
