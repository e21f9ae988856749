import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runConformance, type ConformanceRun } from '../../src/conformance/index.js'
import { compareTrees } from '../../src/conformance/compare_trees.js'
import { createCorpus } from '../../src/conformance/corpus.js'
import { disturb } from '../../src/conformance/disturb.js'
import { formatVerdict } from '../../src/conformance/report.js'
import { kitRequirementProblems } from '../../src/conformance/requirements.js'
import { treeDigest } from '../../src/conformance/tree_digest.js'
import { pretendSafeEngine, tarStreamEngine, unlistedArchiveEngine } from './faulty_engines.js'
import { referenceEngine } from './reference_engine.js'

let workRoot: string

beforeAll(async () => {
  workRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'coffer-kit-checks-'))
})

afterAll(async () => {
  await fs.rm(workRoot, { recursive: true, force: true })
})

function check(report: ConformanceRun, name: string) {
  const found = report.checks.find((candidate) => candidate.name === name)
  expect(found, `no check named ${name}`).toBeDefined()
  return found!
}

describe('hostile checks', () => {
  it('run each case in replace mode too', async () => {
    const emptyFolder = path.join(workRoot, 'empty-source')
    await fs.mkdir(emptyFolder)
    const { engine, hostileHook } = pretendSafeEngine({ escapeInReplace: true, emptyFolder })
    const report = await runConformance({
      engine,
      options: {},
      workDir: path.join(workRoot, 'escape-in-replace'),
      volumes: ['empty'],
      hostileArtifacts: hostileHook,
    })

    expect(check(report, 'hostile: dotdot, merge').status).toBe('passed')
    const replace = check(report, 'hostile: dotdot, replace')
    expect(replace.status).toBe('failed')
    expect(replace.messages.join('\n')).toContain('outside the target changed')
    expect(replace.messages.join('\n')).toContain('"outside/escaped.txt"')
  }, 300_000)

  it('skip with a reason without a hook', async () => {
    const report = await runConformance({
      engine: referenceEngine(),
      options: {},
      workDir: path.join(workRoot, 'no-hook'),
      volumes: ['empty'],
    })

    const skipped = check(report, 'hostile: absolute, replace')
    expect(skipped.status).toBe('skipped')
    expect(skipped.messages).toEqual([
      'no hostileArtifacts hook was given, so no hostile archive was built',
    ])
    const hostileSkipped = report.checks.filter(
      (result) => result.status === 'skipped' && result.name.startsWith('hostile: ')
    )
    expect(hostileSkipped).toHaveLength(10)
    // The empty volume also skips its partial restore, which has no paths to restore.
    expect(formatVerdict(report)).toBe('passed with 11 checks skipped')
  }, 300_000)

  it('skip a kind the hook cannot write', async () => {
    const report = await runConformance({
      engine: referenceEngine(),
      options: {},
      workDir: path.join(workRoot, 'null-hook'),
      volumes: ['empty'],
      hostileArtifacts: async () => null,
    })

    const skipped = check(report, 'hostile: hardlink-outside, merge')
    expect(skipped.status).toBe('skipped')
    expect(skipped.messages[0]).toContain("the engine's format cannot express a hardlink-outside")
  }, 300_000)
})

describe('verify detects corruption', () => {
  it('corrupts data outside the listed artifacts', async () => {
    const report = await runConformance({
      engine: unlistedArchiveEngine(),
      options: {},
      workDir: path.join(workRoot, 'unlisted-archive'),
      volumes: ['metadata'],
    })

    const corruption = check(report, 'metadata: verify detects corruption')
    expect(corruption.status).toBe('failed')
    expect(corruption.messages[0]).toMatch(
      /^verify data passed although byte \d+ of snapshots\/conformance-metadata-1\/archive\.tar was flipped$/
    )
  }, 300_000)
})

describe('tar-stream sources', () => {
  it('back up from a tar stream too', async () => {
    const { engine, sourceKinds } = tarStreamEngine({ dropOwners: false })
    const report = await runConformance({
      engine,
      options: {},
      workDir: path.join(workRoot, 'tar-stream-both'),
      volumes: ['metadata'],
      capabilities: { sources: ['path', 'tar-stream'] },
    })

    expect(check(report, 'metadata: tar-stream backup').status).toBe('passed')
    const restored = check(report, 'metadata: tar-stream restore all')
    expect(restored.messages).toEqual([])
    expect(restored.status).toBe('passed')
    expect(sourceKinds.filter((kind) => kind === 'tar-stream')).toEqual(['tar-stream'])
  }, 300_000)

  it('fail an engine that drops owners', async () => {
    const { engine } = tarStreamEngine({ dropOwners: true })
    const report = await runConformance({
      engine,
      options: {},
      workDir: path.join(workRoot, 'tar-stream-owners'),
      volumes: ['metadata'],
      capabilities: { sources: ['path', 'tar-stream'] },
    })

    const restored = check(report, 'metadata: tar-stream restore all')
    expect(restored.status).toBe('failed')
    expect(restored.messages).toContain('"unknown-owner": uid source 54321, restored 0')
  }, 300_000)

  it('use tar streams for every backup of a tar-stream-only engine', async () => {
    const { engine, sourceKinds } = tarStreamEngine({ dropOwners: false })
    const report = await runConformance({
      engine,
      options: {},
      workDir: path.join(workRoot, 'tar-stream-only'),
      volumes: ['metadata', 'special'],
      capabilities: { sources: ['tar-stream'] },
    })

    const failed = report.checks.filter((result) => result.status === 'failed')
    expect(failed.map((result) => `${result.name}: ${result.messages.join(' | ')}`)).toEqual([])
    expect(new Set(sourceKinds)).toEqual(new Set(['tar-stream']))
    expect(report.checks.some((result) => result.name.includes('tar-stream'))).toBe(false)
  }, 300_000)
})

describe('corpus', () => {
  it('has a path of 3,000 bytes', async () => {
    const corpus = await createCorpus(path.join(workRoot, 'corpus-names'), { volumes: ['names'] })
    const digest = await treeDigest(corpus.volumes[0].path)
    const longest = Math.max(...[...digest.entries.values()].map((entry) => entry.path.length))
    expect(longest).toBeGreaterThanOrEqual(3000)
  })
})

describe('disturb', () => {
  it('changes a folder mode and a file owner', async () => {
    const target = path.join(workRoot, 'disturbed')
    await fs.mkdir(path.join(target, 'folder'), { recursive: true, mode: 0o755 })
    await fs.chmod(path.join(target, 'folder'), 0o755)
    for (const name of ['one', 'two', 'three']) {
      await fs.writeFile(path.join(target, 'folder', name), name, { mode: 0o644 })
    }

    const before = await treeDigest(target)
    await disturb(target, before)
    const differences = compareTrees(before, await treeDigest(target))

    expect(differences).toContain('"added-by-kit.txt": file not in the expected tree')
    expect(differences).toContain('"added-folder": directory not in the expected tree')
    expect(differences).toContain('"folder": mode expected 0755, actual 0700')
    expect(differences.some((line) => line.endsWith(': uid expected 0, actual 4242'))).toBe(true)
    expect(differences.some((line) => line.endsWith(': mode expected 0644, actual 0606'))).toBe(
      true
    )
    expect(differences.some((line) => line.endsWith(': file missing from the actual tree'))).toBe(
      true
    )
  })
})

describe('kit requirements', () => {
  it('name root and missing commands', async () => {
    const emptyPath = path.join(workRoot, 'empty-path')
    await fs.mkdir(emptyPath)
    const problems = await kitRequirementProblems({
      uid: 1000,
      searchPath: emptyPath,
      needsTar: true,
    })

    expect(problems[0]).toContain('the conformance kit needs root')
    expect(problems[0]).toContain('uid 1000')
    expect(problems).toContain(
      'setfattr is not on PATH; install it (Debian package attr: apt-get install attr)'
    )
    expect(problems.some((problem) => problem.startsWith('tar is not on PATH'))).toBe(true)
  })

  it('pass as root with the commands', async () => {
    expect(await kitRequirementProblems({ uid: 0, needsTar: true })).toEqual([])
  })
})
