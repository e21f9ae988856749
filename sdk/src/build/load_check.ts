import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { ENGINE_API_VERSION } from '../contract.js'
import { CofferError } from '../errors.js'
import type { EngineManifest } from '../manifest/types.js'
import { engineChildEnvironment } from '../protocol/child_process_env.js'
import {
  assertEngineExport,
  OPTIONAL_OPERATIONS,
  REQUIRED_OPERATIONS,
  type EngineExportFacts,
} from '../protocol/engine_export.js'
import { compareSemanticVersions } from '../semver.js'
import { SDK_VERSION } from '../version.js'

/** Time allowed for importing the built engine module in the load check. */
export const LOAD_CHECK_TIMEOUT_MS = 30_000

// Lines of the child's stderr quoted when the import does not finish.
const MAX_QUOTED_LINES = 10
const MAX_STDERR_CHARS = 16_384

// Imports the module named by argv[1] and writes EngineExportFacts (or the import error) as JSON
// to argv[2]. It exits at once, so timers or sockets that the engine opens at import time cannot
// keep it running. Kept in step with engineExportFacts in protocol/engine_export.ts.
const IMPORT_SCRIPT = `
import { writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
const [modulePath, resultPath, operationsJson] = process.argv.slice(1)
let result
try {
  const module = await import(pathToFileURL(modulePath).href)
  const engine = module.default
  const defaultType = engine === null ? 'null' : typeof engine
  const record = defaultType === 'object' ? engine : {}
  const operationTypes = {}
  for (const name of JSON.parse(operationsJson)) operationTypes[name] = typeof record[name]
  result = { facts: { defaultType, id: record.id, operationTypes } }
} catch (error) {
  result = { error: String(error) }
}
writeFileSync(resultPath, JSON.stringify(result))
process.exit(0)
`

/** Paths the load check names in its messages, so the author knows which file to change. */
export interface LoadCheckLabels {
  /** The source manifest. */
  manifestPath: string
  /** The entry module that the build bundled. */
  entryPath: string
}

/**
 * Checks a freshly packed bundle as an agent of this SDK's version loads it: the API majors, the
 * minimum agent version, and the entry module's default export (made with `defineEngine`, with
 * the manifest's id and every required operation). Raises the code the agent would raise, with
 * a message that tells the author what to change.
 */
export async function checkBundleLoads(
  manifest: EngineManifest,
  files: Map<string, Buffer>,
  labels: LoadCheckLabels
): Promise<void> {
  checkApiVersions(manifest, labels.manifestPath)
  checkMinAgentVersion(manifest, labels.manifestPath)

  const facts = await importEngine(manifest, files, labels.entryPath)
  assertEngineExport(facts, manifest.id, {
    moduleName: labels.entryPath,
    manifestName: labels.manifestPath,
  })
}

function checkApiVersions(manifest: EngineManifest, manifestPath: string): void {
  if (manifest.apiVersions.includes(ENGINE_API_VERSION)) {
    return
  }

  const code = Math.max(...manifest.apiVersions) < ENGINE_API_VERSION ? 'API_TOO_OLD' : 'API_TOO_NEW'
  throw new CofferError(
    code,
    `${manifestPath}: apiVersions is ${JSON.stringify(manifest.apiVersions)}, but @coffer/sdk ${SDK_VERSION} implements engine API ${ENGINE_API_VERSION} only, so agents that use it reject the engine with ${code}; set apiVersions to [${ENGINE_API_VERSION}]`,
    { details: { apiVersions: manifest.apiVersions, sdkApiVersions: [ENGINE_API_VERSION] } }
  )
}

function checkMinAgentVersion(manifest: EngineManifest, manifestPath: string): void {
  if (compareSemanticVersions(SDK_VERSION, manifest.minAgentVersion) >= 0) {
    return
  }

  throw new CofferError(
    'AGENT_TOO_OLD',
    `${manifestPath}: minAgentVersion is ${manifest.minAgentVersion}, above ${SDK_VERSION}, the agent version that @coffer/sdk ${SDK_VERSION} targets, so current agents reject the engine with AGENT_TOO_OLD; set minAgentVersion to ${SDK_VERSION} or lower`,
    { details: { minAgentVersion: manifest.minAgentVersion, sdkAgentVersion: SDK_VERSION } }
  )
}

// Writes the bundle's files to a scratch folder and imports the entry module in a child process
// with the environment an agent gives engines, so the engine's import-time code cannot affect
// the build process.
async function importEngine(
  manifest: EngineManifest,
  files: Map<string, Buffer>,
  entryPath: string
): Promise<EngineExportFacts> {
  const folder = await mkdtemp(join(tmpdir(), 'coffer-engine-load-check-'))
  try {
    for (const [name, data] of files) {
      await mkdir(dirname(join(folder, 'bundle', name)), { recursive: true })
      await writeFile(join(folder, 'bundle', name), data)
    }

    const resultPath = join(folder, 'result.json')
    const run = await runImport(join(folder, 'bundle', manifest.entry), resultPath)
    const result = await readResult(resultPath)
    if (result?.facts) {
      return result.facts
    }

    const reason =
      result?.error ?? `the import did not finish (${run.exit}); stderr: ${run.stderrTail || '(empty)'}`
    throw new CofferError(
      'INVALID_ARGUMENT',
      `the built engine module fails to load, so no agent can start it: ${reason}; fix the error that ${entryPath} raises when it is imported`,
      { details: { entryPath } }
    )
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}

// Resolves also when the child fails or times out, because the missing result file reports that.
function runImport(
  modulePath: string,
  resultPath: string
): Promise<{ exit: string; stderrTail: string }> {
  const operations = JSON.stringify([...REQUIRED_OPERATIONS, ...OPTIONAL_OPERATIONS])
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', IMPORT_SCRIPT, modulePath, resultPath, operations],
    {
      cwd: dirname(modulePath),
      env: engineChildEnvironment(),
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: LOAD_CHECK_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    }
  )

  let stderr = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-MAX_STDERR_CHARS)
  })

  return new Promise((resolve) => {
    child.on('error', (error) => resolve({ exit: error.message, stderrTail: '' }))
    child.on('close', (code, signal) => {
      const exit = signal
        ? `killed by ${signal}; the time limit is ${LOAD_CHECK_TIMEOUT_MS / 1000} s`
        : `exit code ${code}`
      resolve({ exit, stderrTail: lastLines(stderr) })
    })
  })
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-MAX_QUOTED_LINES).join('\n')
}

async function readResult(
  path: string
): Promise<{ facts?: EngineExportFacts; error?: string } | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as { facts?: EngineExportFacts; error?: string }
  } catch {
    return undefined
  }
}
