import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { buildEngineBundle } from '@coffer/sdk/build'

// `coffer-engine test` as an engine author runs it: the built CLI of @coffer/sdk on a bundle.
const packageDir = fileURLToPath(new URL('..', import.meta.url))
const unsafeEngineDir = fileURLToPath(new URL('fixtures/unsafe_restore_engine', import.meta.url))
const cliPath = sdkBinPath()
const HOSTILE_CHECKS = [
  'dotdot',
  'absolute',
  'through-symlink',
  'folder-replaced-by-link',
  'hardlink-outside',
].flatMap((kind) => [`hostile: ${kind}, merge`, `hostile: ${kind}, replace`])

let scratch: string
let tarBundle: string
let unsafeBundle: string

interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

// The `coffer-engine` program that npx runs here. The package's exports hide package.json from
// require.resolve, so this looks in the node_modules folders that Node would search.
function sdkBinPath(): string {
  const searched = createRequire(import.meta.url).resolve.paths('@coffer/sdk') ?? []
  const folder = searched
    .map((nodeModules) => join(nodeModules, '@coffer', 'sdk'))
    .find((candidate) => existsSync(join(candidate, 'package.json')))
  if (folder === undefined) {
    throw new Error(`@coffer/sdk not found in ${searched.join(', ')}; run npm install`)
  }

  return join(folder, 'bin', 'coffer-engine.js')
}

// Runs the CLI from the tar package folder, against which --hostile is resolved.
function runCli(args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: packageDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

function statusOf(run: CliRun, check: string): string | undefined {
  const line = run.stdout.split('\n').find((candidate) => candidate.includes(` ${check} (`))
  return line?.split(' ')[0]
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'coffer-tar-cli-test-'))
  const built = await buildEngineBundle({ packageDir, outDir: join(scratch, 'tar') })
  tarBundle = built.bundlePath
  const unsafe = await buildEngineBundle({
    packageDir: unsafeEngineDir,
    outDir: join(scratch, 'unsafe'),
  })
  unsafeBundle = unsafe.bundlePath
})

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

describe('coffer-engine test', () => {
  test('passes the tar bundle with --hostile', { timeout: 900_000 }, async () => {
    const run = await runCli(['test', tarBundle, '--hostile', 'test/hostile_hook.mjs'])

    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    for (const check of HOSTILE_CHECKS) {
      expect(statusOf(run, check), check).toBe('passed')
    }

    const verdict = run.stdout.trimEnd().split('\n').at(-1)
    expect(verdict).toMatch(/^conformance of coffer\/tar: passed( with \d+ checks? skipped)?$/)
    expect(run.stdout).not.toContain('restore-safety checks not run')
  })

  test('names skipped checks without --hostile', { timeout: 300_000 }, async () => {
    const run = await runCli(['test', tarBundle, '--volumes', 'empty'])
    const lines = run.stdout.split('\n')

    expect(run.code).toBe(0)
    const skipped = lines.findIndex((line) => line.startsWith('skipped hostile: dotdot, merge ('))
    expect(lines[skipped + 1].trim()).toBe(
      'no hostileArtifacts hook was given, so no hostile archive was built'
    )
    expect(lines.filter((line) => line !== '').at(-1)).toBe(
      'conformance of coffer/tar: passed with 11 checks skipped'
    )
    expect(run.stdout).not.toMatch(/: passed$/m)
    expect(run.stdout).toContain(`restore-safety checks not run (10): ${HOSTILE_CHECKS.join('; ')}`)
    expect(run.stdout).toContain('restore safety is not proven: pass --hostile <module>')
  })

  test('fails an engine that writes rejected entries', { timeout: 300_000 }, async () => {
    const run = await runCli([
      'test',
      unsafeBundle,
      '--hostile',
      'test/hostile_hook.mjs',
      '--volumes',
      'empty',
    ])

    expect(run.code).toBe(1)
    expect(run.stderr).not.toContain('INTERNAL')
    expect(run.stderr).toMatch(
      /coffer-test\/unsafe-restore 1\.0\.0 failed \d+ of \d+ conformance checks/
    )
    for (const check of HOSTILE_CHECKS) {
      expect(statusOf(run, check), check).toBe('failed')
    }

    expect(run.stdout).toContain('outside the target changed: "outside/dotdot.txt"')
    expect(run.stdout).toContain('entry "../outside/dotdot.txt" missing from rejected')
  })
})
