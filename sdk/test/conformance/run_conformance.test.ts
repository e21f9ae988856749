import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatReport, runConformance } from '../../src/conformance/index.js'
import { referenceEngine } from './reference_engine.js'

let workRoot: string

beforeAll(async () => {
  workRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'coffer-conformance-'))
})

afterAll(async () => {
  await fs.rm(workRoot, { recursive: true, force: true })
})

describe('runConformance', () => {
  it('reference engine passes', async () => {
    const report = await runConformance({
      engine: referenceEngine(),
      options: {},
      workDir: path.join(workRoot, 'good'),
      sparseSize: 256 * 1024 * 1024,
    })

    console.log(formatReport(report))
    expect(report.passed, formatReport(report, { onlyFailed: true })).toBe(true)
  }, 600_000)
})

describe('runConformance faults', () => {
  it('reports dropped xattrs', async () => {
    const report = await runConformance({
      engine: referenceEngine({ dropXattrs: true }),
      options: {},
      workDir: path.join(workRoot, 'no-xattrs'),
      volumes: ['metadata'],
    })

    const restoreAll = report.checks.find((check) => check.name === 'metadata: restore all')
    expect(report.passed).toBe(false)
    expect(restoreAll?.status).toBe('failed')
    expect(restoreAll?.messages).toContain(
      '"xattr-dir/xattr-file": xattrs source {user.coffer.binary=0x00ff10, user.coffer.text=0x68656c6c6f}, restored {}'
    )
  }, 300_000)

  it('reports followed symlinks', async () => {
    const report = await runConformance({
      engine: referenceEngine({ followSymlinks: true }),
      options: {},
      workDir: path.join(workRoot, 'follows-links'),
      volumes: ['links'],
    })

    const failed = report.checks.filter((check) => check.status === 'failed')
    expect(report.passed).toBe(false)
    expect(failed.map((check) => check.name)).toContain('links: backup')
    expect(failed[0].messages.join('\n')).toMatch(/Too many levels of symbolic links/)
  }, 300_000)
})
