import { execFile } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { delimiter, dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { temporaryFolder } from './helpers.js'

const run = promisify(execFile)

const SDK_DIR = fileURLToPath(new URL('..', import.meta.url))
const README_PATH = join(SDK_DIR, 'README.md')
const TSC_PATH = join(SDK_DIR, '..', 'node_modules', '.bin', 'tsc')

/** Build outputs that `npm pack` ships. The build runs again when one is older than a source. */
const DIST_FILES = [
  'dist/index.js',
  'dist/index.d.ts',
  'dist/cli.js',
  'dist/engine_runner.js',
  'dist/build/index.js',
]
const BUILD_SOURCES = ['src', 'package.json', 'tsup.config.ts']

/** Files the walkthrough must write, and text that some `run` block must contain. */
const EXPECTED_FILES = ['package.json', 'engine.manifest.json', 'src/index.ts', 'host.ts']
const EXPECTED_COMMANDS = [
  'npm install ../coffer-sdk-',
  'npm run build',
  'coffer-engine keygen',
  'coffer-engine sign',
  'coffer-engine verify',
  'npm test',
  'node host.ts',
]

/** Placeholder of the `run` blocks, replaced by the public key that keygen printed. */
const PUBLIC_KEY_PLACEHOLDER = '<public key>'

/** A fenced block of README.md with a `<!-- walkthrough: ... -->` marker on the line above. */
interface WalkthroughStep {
  /** What the test does with the block: pack this package in its place, write it, or run it. */
  action: 'pack-sdk' | 'file' | 'run'
  /** Path to write, relative to the current folder, for `file`. */
  path?: string
  code: string
  /** Line of the marker in README.md, counted from 1. */
  line: number
}

/** Extracts the marked blocks of a Markdown file, in order. */
function walkthroughSteps(markdown: string): WalkthroughStep[] {
  const lines = markdown.split('\n')
  const steps: WalkthroughStep[] = []
  for (const [index, text] of lines.entries()) {
    const marker = /^<!-- walkthrough: (.*) -->$/.exec(text.trim())
    if (marker === null) {
      continue
    }

    const line = index + 1
    const [action, path, ...extra] = marker[1].trim().split(/\s+/)
    const valid =
      (action === 'file' && path !== undefined && extra.length === 0) ||
      ((action === 'run' || action === 'pack-sdk') && path === undefined)
    if (!valid) {
      throw new Error(
        `README.md line ${line}: invalid marker "${marker[0]}". Expected "walkthrough: run", "walkthrough: pack-sdk" or "walkthrough: file <path>"`
      )
    }

    let open = index + 1
    while (lines[open]?.trim() === '') {
      open += 1
    }

    const close = lines.findIndex((candidate, at) => at > open && candidate.trim() === '```')
    if (!lines[open]?.startsWith('```') || close < 0) {
      throw new Error(`README.md line ${line}: the marker is not followed by a fenced block`)
    }

    const code = lines.slice(open + 1, close).join('\n') + '\n'
    steps.push({ action: action as WalkthroughStep['action'], path, code, line })
  }

  return steps
}

/** Returns the newest modification time of a file or of any file below a folder. */
function newestChange(path: string): number {
  const info = statSync(path)
  if (!info.isDirectory()) {
    return info.mtimeMs
  }

  const times = readdirSync(path).map((name) => newestChange(join(path, name)))
  return Math.max(info.mtimeMs, ...times)
}

function distIsStale(): boolean {
  const outputs = DIST_FILES.map((file) => join(SDK_DIR, file))
  if (!outputs.every((output) => existsSync(output))) {
    return true
  }

  const built = Math.min(...outputs.map((output) => statSync(output).mtimeMs))
  return BUILD_SOURCES.some((source) => newestChange(join(SDK_DIR, source)) > built)
}

/**
 * Returns the environment of a fresh shell for the walkthrough, with `home` as HOME. The npm_*
 * variables of the test run are left out because some of them (npm_config_local_prefix and
 * others) would point npm at the Coffer checkout. PATH keeps Node.js but no node_modules/.bin
 * folder, so `coffer-engine` comes from the installed tarball. npm uses the machine's cache and
 * skips the registry for what the cache contains, so the install needs no network once `npm ci`
 * of the checkout has filled the cache.
 */
async function walkthroughEnvironment(home: string): Promise<NodeJS.ProcessEnv> {
  const { stdout: npmCache } = await run('npm', ['config', 'get', 'cache'], { cwd: home })
  const path = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((entry) => !entry.endsWith(`node_modules${sep}.bin`))
    .join(delimiter)

  return {
    PATH: path,
    HOME: home,
    LANG: process.env.LANG ?? 'C.UTF-8',
    ...(process.env.TMPDIR === undefined ? {} : { TMPDIR: process.env.TMPDIR }),
    npm_config_cache: npmCache.trim(),
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  }
}

/** Builds dist/ when it is stale, packs this package into `destination` and returns the name. */
async function packSdk(destination: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (distIsStale()) {
    await run('npx', ['tsup'], { cwd: SDK_DIR })
  }

  const { stdout } = await run('npm', ['pack', '--pack-destination', destination], {
    cwd: SDK_DIR,
    env,
  })
  const tarball = stdout.trim().split('\n').at(-1)!

  // A build running in parallel (another shell in the same checkout) can leave dist/ half written.
  const { stdout: listing } = await run('tar', ['--list', '--file', join(destination, tarball)])
  const missing = DIST_FILES.filter((file) => !listing.split('\n').includes(`package/${file}`))
  if (missing.length > 0) {
    throw new Error(`${tarball} lacks ${missing.join(', ')}. Run "npm run build -w sdk" again.`)
  }

  return tarball
}

/**
 * Runs a `run` block with bash in `cwd`, stopping at the first failed command, and returns its
 * output (stdout and stderr together) and the folder it ended in.
 */
async function runBlock(step: WalkthroughStep, code: string, cwd: string, env: NodeJS.ProcessEnv) {
  const cwdFile = join(env.HOME!, '.walkthrough-cwd')
  const script = `exec 2>&1\nset -euo pipefail\n${code}pwd > '${cwdFile}'\n`
  try {
    const { stdout } = await run('bash', ['-c', script], {
      cwd,
      env,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 15 * 60 * 1000,
    })
    return { output: stdout, cwd: (await readFile(cwdFile, 'utf8')).trim() }
  } catch (error) {
    const { code: exitCode, stdout } = error as { code?: number; stdout?: string }
    const tail = (stdout ?? '').split('\n').slice(-80).join('\n')
    throw new Error(
      `README.md line ${step.line}: the block failed with exit code ${exitCode}:\n${code}--- output ---\n${tail}`,
      { cause: error }
    )
  }
}

let folder: Awaited<ReturnType<typeof temporaryFolder>> | undefined

afterAll(async () => {
  await folder?.remove()
})

describe('README walkthrough', () => {
  it('marks every step', async () => {
    const steps = walkthroughSteps(await readFile(README_PATH, 'utf8'))

    expect(steps.filter((step) => step.action === 'pack-sdk')).toHaveLength(1)
    expect(steps[0].action).toBe('pack-sdk')
    const files = steps.filter((step) => step.action === 'file').map((step) => step.path)
    expect(files).toEqual(expect.arrayContaining(EXPECTED_FILES))
    const commands = steps
      .filter((step) => step.action === 'run')
      .map((step) => step.code)
      .join('\n')
    for (const command of EXPECTED_COMMANDS) {
      expect(commands, `no "walkthrough: run" block contains "${command}"`).toContain(command)
    }
  })

  it('builds, signs and passes the kit', async () => {
    const steps = walkthroughSteps(await readFile(README_PATH, 'utf8'))
    folder = await temporaryFolder('readme')
    const home = join(folder.path, 'home')
    await mkdir(home)
    const env = await walkthroughEnvironment(home)

    let cwd = folder.path
    const outputs: Array<{ step: WalkthroughStep; output: string }> = []
    for (const step of steps) {
      if (step.action === 'pack-sdk') {
        const tarball = await packSdk(folder.path, env)
        const installs = steps.some((other) => other.code.includes(`../${tarball}`))
        expect(installs, `no README block installs ../${tarball}, which npm pack wrote`).toBe(true)
        continue
      }

      if (step.action === 'file') {
        const target = join(cwd, step.path!)
        await mkdir(dirname(target), { recursive: true })
        await writeFile(target, step.code)
        continue
      }

      const publicKey = outputs
        .map(({ output }) => /^public key: (ed25519:\S+)$/m.exec(output)?.[1])
        .find((key) => key !== undefined)
      if (step.code.includes(PUBLIC_KEY_PLACEHOLDER) && publicKey === undefined) {
        throw new Error(`README.md line ${step.line} uses ${PUBLIC_KEY_PLACEHOLDER} before keygen`)
      }

      const code = step.code.replaceAll(PUBLIC_KEY_PLACEHOLDER, publicKey ?? '')
      const result = await runBlock(step, code, cwd, env)
      cwd = result.cwd
      outputs.push({ step, output: result.output })
    }

    const outputOf = (command: string) =>
      outputs.find(({ step }) => step.code.includes(command))?.output ?? ''
    expect(outputOf('coffer-engine verify')).toMatch(/^verified acme\/sample 1\.0\.0, signed by/m)

    const kit = outputOf('npm test')
    expect(kit).toMatch(/^conformance of acme\/sample: passed( with \d+ checks? skipped)?$/m)
    expect(kit).not.toMatch(/^failed /m)
    expect(outputOf('node host.ts')).toMatch(/^backed up src: /m)

    // The README's TypeScript must also compile under strict settings, as an author's tsc would.
    const sources = steps
      .filter((step) => step.action === 'file' && step.path!.endsWith('.ts'))
      .map((step) => step.path!)
    const typeRoots = join(SDK_DIR, '..', 'node_modules', '@types')
    const tscArguments = ['--noEmit', '--strict', '--skipLibCheck', '--types', 'node']
    tscArguments.push('--typeRoots', typeRoots, '--module', 'nodenext', '--target', 'es2023')
    const typecheck = await run(TSC_PATH, [...tscArguments, ...sources], { cwd }).catch(
      (error: { stdout?: string }) => ({ stdout: `tsc failed:\n${error.stdout}` })
    )
    expect(typecheck.stdout).toBe('')
  }, 900_000)
})
