import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, expect, test } from 'vitest'
import { runConformance, type HostileArtifactsHook } from '@coffer/sdk'
import engine from '../src/index.js'
import { randomKey } from './helpers.js'

const JSON_TAR_SCRIPT = new URL('./fixtures/tar_from_json.py', import.meta.url).pathname
const manifest = JSON.parse(
  readFileSync(new URL('../engine.manifest.json', import.meta.url), 'utf8')
)
const folders: string[] = []

afterAll(async () => {
  for (const folder of folders) {
    await rm(folder, { recursive: true, force: true })
  }
})

// Builds each hostile archive as a tar stream and stores it through the engine's own backup.
const hostileArtifacts: HostileArtifactsHook = async (hostileCase, context) => {
  const tarBytes = execFileSync('python3', [JSON_TAR_SCRIPT], {
    input: JSON.stringify(hostileCase.entries),
  })
  const result = await engine.backup(context, {
    snapshotId: `hostile-${hostileCase.kind}`,
    source: { kind: 'tar-stream', stream: Readable.from([tarBytes]) },
    tags: {},
  })
  return result.snapshot
}

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
})
