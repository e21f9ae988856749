import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { runConformance } from '@coffer/sdk'
import engine from '../src/index.js'
import { randomKey } from './helpers.js'
import hostileArtifacts from './hostile_hook.mjs'

const manifest = JSON.parse(
  readFileSync(new URL('../engine.manifest.json', import.meta.url), 'utf8')
)
const folders: string[] = []

afterAll(async () => {
  for (const folder of folders) {
    await rm(folder, { recursive: true, force: true })
  }
})

test.each([
  {
    name: 'zstd encrypted',
    options: { compression: 'zstd', encryption: true, encryptionKey: randomKey(), blockSizeMiB: 1 },
  },
  { name: 'gzip', options: { compression: 'gzip' } },
])('conformance kit passes ($name)', { timeout: 900_000 }, async ({ options }) => {
  const workDir = await mkdtemp(join(tmpdir(), 'coffer-tar-conformance-'))
  folders.push(workDir)

  const report = await runConformance({
    engine,
    options,
    workDir,
    capabilities: manifest.capabilities,
    hostileArtifacts,
  })

  const failed = report.checks.filter((check) => check.status === 'failed')
  expect(failed.map((check) => `${check.name}: ${check.messages.join(' | ')}`)).toEqual([])
  expect(report.passed).toBe(true)
  const hostileSkipped = report.checks.filter(
    (check) => check.status === 'skipped' && check.name.startsWith('hostile: ')
  )
  expect(hostileSkipped.map((check) => check.name)).toEqual([])
})
