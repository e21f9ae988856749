import { randomBytes } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { readTar } from '../bundle/tar.js'
import { unpackBundle } from '../bundle/unpack.js'
import {
  assertKitRequirements,
  CORPUS_VOLUMES,
  formatReport,
  isRestoreSafetyCheck,
  runConformance,
  type CorpusVolumeName,
  type HostileArtifactsHook,
} from '../conformance/index.js'
import type { ConformanceRun } from '../conformance/index.js'
import { withWorkFolder } from '../conformance/work_folder.js'
import { CofferError, isCofferError } from '../errors.js'
import { checkEngineOptions } from '../manifest/options.js'
import { MANIFEST_FILE_NAME, type EngineManifest } from '../manifest/types.js'
import { parseManifest } from '../manifest/validate.js'
import { startEngineProcess } from '../protocol/host.js'
import { processEngine } from '../protocol/process_engine.js'
import { LocalStorage } from '../storage_local.js'
import type { Print } from './commands.js'

/** Options of `coffer-engine test`. */
export interface TestCommandOptions {
  /** JSON file with the per-destination options to test with; `{}` when omitted. */
  optionsPath?: string
  /** Time limit of each engine call, in milliseconds. */
  timeoutMs?: number
  /**
   * JavaScript module, resolved against the current folder, whose default export is a
   * `HostileArtifactsHook`. Without it the restore-safety checks on hostile archives are skipped.
   */
  hostilePath?: string
  /** Corpus volumes to run; all of them when omitted. */
  volumes?: string[]
  /** The engine runner program; the one built beside this module when omitted (tests set it). */
  runnerPath?: string
}

/**
 * `test`: unpacks a built bundle into a temporary folder and runs the conformance kit on it, each
 * engine call in its own child process, as the agent runs it. Host secrets the options lack are
 * generated at random, as the host does once per destination. Raises when a check failed.
 */
export async function testCommand(bundlePath: string, options: TestCommandOptions, print: Print) {
  const bytes = await readBundle(bundlePath)
  const manifest = bundleManifest(bytes, bundlePath)
  const settings: KitSettings = {
    engineOptions: await readOptions(manifest, options.optionsPath),
    hostileArtifacts: await loadHostileHook(options.hostilePath),
    volumes: parseVolumes(options.volumes),
    timeoutMs: options.timeoutMs,
    runnerPath: options.runnerPath,
  }
  await assertKitRequirements({ needsTar: manifest.capabilities.sources.includes('tar-stream') })

  await withWorkFolder((folder) => testInFolder(folder, bytes, manifest, settings, print), print)
}

/** What `testInFolder` passes to the kit, read and checked before any folder is created. */
interface KitSettings {
  engineOptions: Record<string, unknown>
  hostileArtifacts?: HostileArtifactsHook
  volumes?: CorpusVolumeName[]
  timeoutMs?: number
  runnerPath?: string
}

async function testInFolder(
  folder: string,
  bytes: Buffer,
  manifest: EngineManifest,
  settings: KitSettings,
  print: Print
): Promise<void> {
  const bundleDir = join(folder, 'bundle')
  await unpackBundle(bytes, bundleDir)
  const engineFiles = { bundleDir, runnerPath: settings.runnerPath }
  await assertEngineLoads(manifest, engineFiles, join(folder, 'load-check'))

  print(`running the conformance kit on ${manifest.id} ${manifest.version}`)
  if (settings.hostileArtifacts === undefined) {
    print('no --hostile module: the restore-safety checks on hostile archives will be skipped')
  }

  const report = await runConformance({
    engine: processEngine(manifest, engineFiles),
    options: settings.engineOptions,
    workDir: join(folder, 'work'),
    capabilities: manifest.capabilities,
    timeoutMs: settings.timeoutMs,
    hostileArtifacts: settings.hostileArtifacts,
    volumes: settings.volumes,
    onCheck: (check) => {
      print(`${check.status.padEnd(7)} ${check.name} (${check.durationMs} ms)`)
      if (check.status === 'skipped') {
        print(`          ${check.messages.join('; ')}`)
      }
    },
  })
  printSummary(report, settings.hostileArtifacts !== undefined, print)

  if (!report.passed) {
    const failed = report.checks.filter((check) => check.status === 'failed').length
    throw new Error(
      `${manifest.id} ${manifest.version} failed ${failed} of ${report.checks.length} conformance checks; see the failed checks above`
    )
  }
}

async function readBundle(bundlePath: string): Promise<Buffer> {
  try {
    return await readFile(bundlePath)
  } catch (error) {
    const message = `cannot read bundle ${bundlePath}: ${(error as Error).message}`
    throw new CofferError('NOT_FOUND', message, { cause: error })
  }
}

function bundleManifest(bytes: Buffer, bundlePath: string): EngineManifest {
  const notBundle = (detail: string, cause?: unknown) =>
    new CofferError(
      'INVALID_ARGUMENT',
      `${bundlePath} is not an engine bundle (${detail}); build one with "coffer-engine build"`,
      { cause }
    )

  let files
  try {
    files = readTar(bytes)
  } catch (error) {
    throw notBundle((error as Error).message, error)
  }

  const manifestFile = files.find((file) => file.name === MANIFEST_FILE_NAME)
  if (!manifestFile) {
    throw notBundle(`it has no ${MANIFEST_FILE_NAME}`)
  }

  return parseManifest(manifestFile.data.toString('utf8'))
}

async function readOptions(manifest: EngineManifest, path: string | undefined) {
  let options: Record<string, unknown> = {}
  if (path !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(await readFile(path, 'utf8'))
    } catch (error) {
      throw new CofferError(
        'INVALID_OPTIONS',
        `cannot read engine options from ${path}: ${(error as Error).message}`,
        { cause: error }
      )
    }

    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CofferError(
        'INVALID_OPTIONS',
        `engine options in ${path} must be a JSON object of option names to values`
      )
    }

    options = parsed as Record<string, unknown>
  }

  for (const secret of manifest.hostSecrets) {
    if (options[secret.name] === undefined) {
      options[secret.name] = randomBytes(secret.bytes).toString(secret.encoding)
    }
  }

  const fields = checkEngineOptions(manifest, options)
  if (Object.keys(fields).length > 0) {
    const problems = Object.entries(fields).map(([field, message]) => `${field}: ${message}`)
    const origin =
      path === undefined ? 'the default options {} (pass --options <file>)' : `--options ${path}`
    throw new CofferError(
      'INVALID_OPTIONS',
      `invalid options for engine ${manifest.id} in ${origin}: ${problems.join('; ')}`,
      { details: { fields } }
    )
  }

  return options
}

async function loadHostileHook(
  modulePath: string | undefined
): Promise<HostileArtifactsHook | undefined> {
  if (modulePath === undefined) {
    return undefined
  }

  const absolute = resolve(modulePath)
  let module: { default?: unknown }
  try {
    module = (await import(pathToFileURL(absolute).href)) as { default?: unknown }
  } catch (error) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `cannot load the --hostile module ${absolute}: ${(error as Error).message}`,
      { cause: error }
    )
  }

  if (typeof module.default !== 'function') {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `the --hostile module ${absolute} must have a default export that is a function (a HostileArtifactsHook); its default export is ${typeof module.default}`
    )
  }

  return module.default as HostileArtifactsHook
}

function parseVolumes(names: string[] | undefined): CorpusVolumeName[] | undefined {
  if (names === undefined) {
    return undefined
  }

  const known = CORPUS_VOLUMES as readonly string[]
  const unknown = names.filter((name) => !known.includes(name))
  if (unknown.length > 0 || names.length === 0) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `invalid --volumes ${JSON.stringify(names.join(','))}: expected a comma-separated list of ${CORPUS_VOLUMES.join(', ')}`
    )
  }

  return names as CorpusVolumeName[]
}

/**
 * Starts the engine once and completes the handshake. An engine that cannot load is then
 * reported once, before any check, instead of by every check: another id in the module, no
 * default export, or an API or agent version it does not accept.
 */
async function assertEngineLoads(
  manifest: EngineManifest,
  engineOptions: { bundleDir: string; runnerPath?: string },
  storageDir: string
) {
  await mkdir(storageDir, { recursive: true })
  const storage = new LocalStorage(storageDir)
  try {
    const engine = await startEngineProcess({ ...engineOptions, storage })
    await engine.close()
  } catch (error) {
    const code = isCofferError(error) ? error.code : 'ENGINE_CRASHED'
    throw new CofferError(
      code,
      `engine ${manifest.id} ${manifest.version} cannot load, so no check ran: ${(error as Error).message}`,
      { cause: error }
    )
  } finally {
    await storage.close()
  }
}

// Prints the failed and skipped checks, the restore-safety checks that did not run, and last the
// verdict, which reads "passed with N checks skipped" whenever a check was skipped.
function printSummary(report: ConformanceRun, hasHostileHook: boolean, print: Print): void {
  const [verdict, ...details] = formatReport(report, { onlyFailed: true, withSkipped: true }).split(
    '\n'
  )
  for (const line of details) {
    print(line)
  }

  const notRun = report.checks.filter(
    (check) => check.status === 'skipped' && isRestoreSafetyCheck(check)
  )
  if (notRun.length > 0) {
    const names = notRun.map((check) => check.name).join('; ')
    print(`restore-safety checks not run (${notRun.length}): ${names}`)
  }

  if (notRun.length > 0 && !hasHostileHook) {
    print(
      'restore safety is not proven: pass --hostile <module> whose default export writes hostile archives in the engine format'
    )
  }

  print(verdict)
}
