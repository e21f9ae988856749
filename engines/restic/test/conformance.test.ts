import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { formatReport, runConformance } from '@coffer/sdk'
import { createResticEngine } from '../src/index.js'
import hostileArtifacts from './hostile_hook.js'
import { makeTempDir, randomPassword, removeAll, resticBinary } from './helpers.js'

afterAll(removeAll)

const manifestPath = path.resolve(import.meta.dirname, '../engine.manifest.json')

test('conformance kit on local storage', async () => {
  const manifest = JSON.parse(await fs.readFile(manifestPath, 'utf8'))
  const report = await runConformance({
    engine: createResticEngine({ binary: resticBinary() }),
    options: { repositoryPassword: randomPassword() },
    workDir: await makeTempDir('conformance'),
    capabilities: manifest.capabilities,
    hostileArtifacts,
  })

  const text = formatReport(report, { onlyFailed: true })
  expect(report.passed, text).toBe(true)
}, 1_800_000)
