import fs from 'node:fs/promises'
import path from 'node:path'
import type { Engine, EngineCapabilities } from '../contract.js'
import type { Storage } from '../storage.js'
import { LocalStorage } from '../storage_local.js'
import { CheckRunner } from './check_runner.js'
import { createCorpus, type CorpusVolumeName } from './corpus.js'
import { callEngine, type CallSettings, type EngineLogLine } from './engine_calls.js'
import { checkHostileArtifacts, checkLinkThenFolder } from './hostile_checks.js'
import type { HostileArtifactsHook } from './hostile.js'
import type { CheckResult, ConformanceReport } from './report.js'
import { assertKitRequirements } from './requirements.js'
import { primarySourceKind } from './sources.js'
import { checkVolume } from './volume_checks.js'

export { createCorpus, CORPUS_VOLUMES, NON_UTF8_NAME } from './corpus.js'
export type {
  Corpus,
  CorpusOptions,
  CorpusVolume,
  CorpusVolumeName,
  VolumeActivity,
} from './corpus.js'
export { treeDigest } from './tree_digest.js'
export type { SparseClass, TreeDigest, TreeEntry, TreeEntryType } from './tree_digest.js'
export { compareTrees, formatNs } from './compare_trees.js'
export type { CompareOptions, TreeField } from './compare_trees.js'
export { createHostileLayout, hostileCases } from './hostile.js'
export type {
  HostileArtifactsHook,
  HostileCase,
  HostileEntry,
  HostileKind,
  HostileLayout,
} from './hostile.js'
export { assertConformance, formatReport, formatVerdict, isRestoreSafetyCheck } from './report.js'
export type { CheckResult, ConformanceReport, FormatReportOptions } from './report.js'
export { assertKitRequirements, kitRequirementProblems } from './requirements.js'
export type { KitRequirementOptions } from './requirements.js'
export { displayPath } from './path_bytes.js'
export type { EngineLogLine } from './engine_calls.js'

/** Options of `runConformance`. */
export interface ConformanceOptions {
  /** The engine under test, in process. */
  engine: Engine
  /** Per-destination options passed to every call, secrets included. */
  options: Record<string, unknown>
  /** An empty or absent folder for the corpus, restore targets and (by default) the storage. */
  workDir: string
  /** Where artifacts go; a `LocalStorage` in `workDir/storage` when omitted. */
  storage?: Storage
  /** The engine's declared capabilities; checks of undeclared features are skipped. */
  capabilities?: Partial<EngineCapabilities>
  /** Volumes to run; every corpus volume when omitted. */
  volumes?: readonly CorpusVolumeName[]
  /** Apparent size of the large sparse file; 1 GiB when omitted. */
  sparseSize?: number
  /** Time limit of each engine call in milliseconds; 10 minutes when omitted. */
  timeoutMs?: number
  /**
   * Builds archives with hostile entries in the engine's format. Without it the checks
   * `hostile: <kind>, <mode>` are skipped, so restore safety is only partly checked.
   */
  hostileArtifacts?: HostileArtifactsHook
  /** Called after each check, for progress output. */
  onCheck?(check: CheckResult): void
}

/** A conformance report with the engine's log lines. */
export interface ConformanceRun extends ConformanceReport {
  logs: EngineLogLine[]
}

const DEFAULT_CAPABILITIES: EngineCapabilities = {
  incremental: false,
  dedup: false,
  nativeEncryption: false,
  fileListing: true,
  partialRestore: true,
  verifyLevels: ['structure', 'metadata', 'data'],
  sources: ['path'],
}

/**
 * Runs the engine through every operation on each corpus volume and the restore-safety cases,
 * comparing restored trees with their source. Never throws for an engine failure: each one is a
 * failed check in the report. Needs root, GNU coreutils and the attr package, and GNU tar for an
 * engine that accepts `tar-stream`; raises before any check when one is missing.
 */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceRun> {
  const capabilities = { ...DEFAULT_CAPABILITIES, ...options.capabilities }
  await assertKitRequirements({ needsTar: capabilities.sources.includes('tar-stream') })

  const workDir = path.resolve(options.workDir)
  await fs.mkdir(workDir, { recursive: true })

  const storage = options.storage ?? new LocalStorage(path.join(workDir, 'storage'))
  const settings: CallSettings = {
    engine: options.engine,
    storage,
    options: options.options,
    scratchRoot: path.join(workDir, 'scratch'),
    timeoutMs: options.timeoutMs ?? 10 * 60 * 1000,
    logs: [],
    sourceKind: primarySourceKind(capabilities),
  }
  const checks = new CheckRunner(options.onCheck)

  await checks.run('describe', async () => {
    const describe = options.engine.describe
    if (describe === undefined) {
      return []
    }

    const own = await callEngine(settings, 'describe', (context) =>
      describe.call(options.engine, context)
    )
    return Object.entries(own.tools ?? {})
      .filter(([, version]) => typeof version !== 'string' || version.trim() === '')
      .map(([name]) => `describe reported tool ${name} without a version`)
  })

  await checks.run('validateOptions', async () => {
    const validate = options.engine.validateOptions
    if (validate === undefined) {
      return []
    }

    const invalid = await validate.call(options.engine, options.options)
    return Object.entries(invalid).map(([field, message]) => `option ${field} rejected: ${message}`)
  })

  const corpus = await createCorpus(path.join(workDir, 'corpus'), {
    volumes: options.volumes,
    sparseSize: options.sparseSize,
  })
  for (const volume of corpus.volumes) {
    await checkVolume(
      volume,
      settings,
      capabilities,
      checks,
      path.join(workDir, 'restores', volume.name)
    )
  }

  await checkLinkThenFolder(settings, checks, path.join(workDir, 'hostile', 'link-then-folder'))
  await checkHostileArtifacts(
    settings,
    checks,
    path.join(workDir, 'hostile', 'archives'),
    options.hostileArtifacts
  )

  await checks.run('listSnapshots after forget', async () => {
    const left = await callEngine(settings, 'listSnapshots', (context) =>
      options.engine.listSnapshots(context)
    )
    const ids = left.map((snapshot) => snapshot.id).filter((id) => id?.startsWith('conformance-'))
    return ids.length === 0 ? [] : [`snapshots still listed after every forget: ${ids.join(', ')}`]
  })

  if (options.storage === undefined) {
    await storage.close()
  }

  const passed = checks.results.every((check) => check.status !== 'failed')
  return { engineId: options.engine.id, passed, checks: checks.results, logs: settings.logs }
}
