import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { validateManifestSource } from '@coffer/sdk'
import { buildEngineBundle } from '@coffer/sdk/build'
import { RESTIC_ENGINE_ID } from '../src/index.js'
import { makeTempDir, removeAll } from './helpers.js'

afterAll(removeAll)

const packageDir = path.resolve(import.meta.dirname, '..')
const manifestPath = path.join(packageDir, 'engine.manifest.json')

test('manifest is valid', async () => {
  const manifest = validateManifestSource(
    JSON.parse(await fs.readFile(manifestPath, 'utf8')),
    manifestPath
  )
  expect(manifest.id).toBe(RESTIC_ENGINE_ID)
  expect(manifest.secretOptions).toEqual(['repositoryPassword'])
  expect(manifest.hostSecrets.map((secret) => secret.name)).toEqual(['repositoryPassword'])
})

test('bundle builds deterministically', async () => {
  const first = await buildEngineBundle({ packageDir, outDir: await makeTempDir('bundle') })
  const second = await buildEngineBundle({ packageDir, outDir: await makeTempDir('bundle') })
  expect(first.manifest.id).toBe(RESTIC_ENGINE_ID)
  expect(first.manifest.version).toBe('0.1.0')
  expect(second.bytes.equals(first.bytes)).toBe(true)
})
