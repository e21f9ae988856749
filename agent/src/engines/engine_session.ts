import { mkdtemp } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve } from 'node:path'
import {
  assertEngineOptions,
  startEngineProcess,
  type EngineCallOptions,
  type EngineProcess,
  type Storage,
} from '@coffer/sdk'
import type { JobDestination } from '../controller/api_types.js'
import type { EventBatcher } from '../controller/event_batcher.js'
import {
  openStorage,
  type DestinationConfig,
  type DestinationSecrets,
} from '../destinations/index.js'
import type { PreparedEngine } from './engine_store.js'

/** A job's engine child process and the destination storage it works on. */
export interface EngineSession {
  engine: EngineProcess
  /** Returns the settings of one engine call: options, abort signal and a fresh scratch folder. */
  callOptions(): Promise<EngineCallOptions>
  close(): Promise<void>
}

/** Inputs of `openEngineSession`. */
export interface EngineSessionOptions {
  prepared: PreparedEngine
  destination: JobDestination
  engineOptions: Record<string, unknown>
  localDestinationRoot: string
  agentVersion: string
  /** The job's private folder, which contains a scratch folder per engine call. */
  workDir: string
  signal: AbortSignal
  events: EventBatcher
}

/**
 * Checks the engine options against the manifest's schema, opens the job's destination and starts
 * the engine in a child process. Options, secrets included, reach the engine only inside call
 * messages.
 */
export async function openEngineSession(options: EngineSessionOptions): Promise<EngineSession> {
  const engineOptions = assertEngineOptions(options.prepared.manifest, options.engineOptions)
  const config = checkLocalDestination(options.destination, options.localDestinationRoot)
  const storage: Storage = openStorage(config, options.destination.secrets as DestinationSecrets)
  const { events } = options

  let engine: EngineProcess
  try {
    engine = await startEngineProcess({
      bundleDir: options.prepared.dir,
      storage,
      agentVersion: options.agentVersion,
      // The restic engine finds its binary through RESTIC_BINARY when restic is not on PATH;
      // nothing else of the agent's environment reaches engines.
      env: process.env.RESTIC_BINARY ? { RESTIC_BINARY: process.env.RESTIC_BINARY } : {},
      onLog: (entry) => events.log(entry.level, entry.message),
      onProgress: (progress) =>
        events.progress({
          phase: progress.phase,
          bytesDone: progress.bytesDone,
          bytesTotal: progress.bytesTotal,
          filesDone: progress.filesDone,
        }),
    })
  } catch (error) {
    await storage.close()
    throw error
  }

  // Each call gets its own folder inside the job's folder, which is removed with the job.
  const callOptions = async (): Promise<EngineCallOptions> => ({
    options: engineOptions,
    signal: options.signal,
    workDir: await mkdtemp(join(options.workDir, 'engine-call-')),
  })

  try {
    await describeInJobLog(engine, await callOptions(), events)
  } catch (error) {
    await engine.close().catch(() => {})
    await storage.close()
    throw error
  }

  return {
    engine,
    callOptions,
    close: async () => {
      try {
        await engine.close()
      } finally {
        await storage.close()
      }
    },
  }
}

/**
 * Returns the destination's config, with a local destination's path resolved against the local
 * destination root and required to stay inside it, so the controller cannot make the agent write
 * to an arbitrary folder of the host. A relative path is taken as relative to the root.
 */
export function checkLocalDestination(
  destination: JobDestination,
  root: string
): DestinationConfig {
  const config = { ...destination.config, kind: destination.kind } as DestinationConfig
  if (config.kind !== 'local') {
    return config
  }

  const path = typeof config.path === 'string' ? config.path : ''
  const resolved = resolve(root, path)
  const inside = relative(root, resolved)
  if (path === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new Error(
      `local destination path "${path}" is outside COFFER_LOCAL_DESTINATION_ROOT ${root}; use a folder inside it`
    )
  }

  return { ...config, path: resolved }
}

// Puts the engine and the versions of the tools it runs at the top of the job's log, and fails
// the job early when a tool is missing or too old. An engine built with an SDK that predates
// describe rejects the call as an unknown method, which is only worth a warning.
async function describeInJobLog(
  engine: EngineProcess,
  call: EngineCallOptions,
  events: EngineSessionOptions['events']
): Promise<void> {
  try {
    const description = await engine.describe(call)
    const tools = Object.entries(description.tools).map(([name, version]) => `${name} ${version}`)
    const runs = tools.length > 0 ? `, running ${tools.join(', ')}` : ''
    events.log('info', `engine ${description.id} ${description.version}${runs}`)
  } catch (error) {
    if ((error as { code?: string }).code !== 'PROTOCOL') {
      throw error
    }

    events.log(
      'warn',
      `engine ${engine.manifest.id} cannot describe itself: ${(error as Error).message}`
    )
  }
}
