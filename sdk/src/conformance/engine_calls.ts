import fs from 'node:fs/promises'
import path from 'node:path'
import type { Engine, EngineContext, LogLevel } from '../contract.js'
import type { Storage } from '../storage.js'

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
