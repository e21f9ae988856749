import fs from 'node:fs/promises'
import path from 'node:path'
import type {
  BackupResult,
  BackupSourceKind,
  Engine,
  EngineContext,
  LogLevel,
} from '../contract.js'
import type { Storage } from '../storage.js'
import { openSource } from './sources.js'

/** A log line an engine emitted during the run. */
export interface EngineLogLine {
  level: LogLevel
  message: string
  fields?: Record<string, unknown>
}

/** What every engine call of a conformance run shares. */
export interface CallSettings {
  engine: Engine
  storage: Storage
  options: Record<string, unknown>
  /** Scratch folders of the calls are created under this folder. */
  scratchRoot: string
  /** Per-call limit, after which the call's signal aborts and the check fails. */
  timeoutMs: number
  logs: EngineLogLine[]
  /** Source kind of every backup, except the extra tar-stream checks. */
  sourceKind: BackupSourceKind
}

let callCounter = 0

/**
 * Runs one engine operation with a fresh context, a scratch folder removed afterwards, and a
 * time limit. A call that outlives its limit rejects, which catches an engine hanging on a FIFO.
 */
export async function callEngine<T>(
  settings: CallSettings,
  operation: string,
  run: (context: EngineContext) => Promise<T>
): Promise<T> {
  callCounter += 1
  const workDir = path.join(settings.scratchRoot, `call-${callCounter}`)
  await fs.mkdir(workDir, { recursive: true, mode: 0o700 })

  const controller = new AbortController()
  const context: EngineContext = {
    storage: settings.storage,
    options: settings.options,
    workDir,
    signal: controller.signal,
    log: (level, message, fields) => settings.logs.push({ level, message, fields }),
    progress: () => {},
  }

  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      const seconds = settings.timeoutMs / 1000
      reject(new Error(`${operation} did not finish within ${seconds} s (does it read a FIFO?)`))
    }, settings.timeoutMs)
  })

  try {
    return await Promise.race([run(context), timeout])
  } finally {
    clearTimeout(timer)
    await fs.rm(workDir, { recursive: true, force: true })
  }
}

/** Message of a thrown value, with its `code` when it has one. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error)
  }

  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message
}

/** A request of `backupFolder`: the folder, and the snapshot id and tags to back it up with. */
export interface FolderBackup {
  snapshotId: string
  folder: string
  tags: Record<string, string>
  /** `settings.sourceKind` when omitted. */
  sourceKind?: BackupSourceKind
}

/** Backs up a folder through `settings.engine`, as a path or as a tar stream made by GNU tar. */
export async function backupFolder(
  settings: CallSettings,
  request: FolderBackup
): Promise<BackupResult> {
  const opened = openSource(request.sourceKind ?? settings.sourceKind, request.folder)
  try {
    return await callEngine(settings, 'backup', (context) =>
      settings.engine.backup(context, {
        snapshotId: request.snapshotId,
        source: opened.source,
        tags: request.tags,
      })
    )
  } finally {
    await opened.close()
  }
}
