import type { Engine, EngineContext } from '../contract.js'
import type { EngineManifest } from '../manifest/types.js'
import { startEngineProcess, type EngineProcess, type StartEngineProcessOptions } from './host.js'

/** Options of `processEngine`: those of `startEngineProcess` except the per-call ones. */
export type ProcessEngineOptions = Omit<
  StartEngineProcessOptions,
  'storage' | 'onLog' | 'onProgress'
>

/**
 * Wraps an unpacked bundle as an in-process `Engine` whose every call runs in a fresh child
 * process through the protocol, with the call context's storage, log and progress. The
 * conformance kit uses it to test a bundle exactly as the agent runs it.
 */
export function processEngine(manifest: EngineManifest, options: ProcessEngineOptions): Engine {
  async function run<T>(
    context: EngineContext,
    call: (engine: EngineProcess) => Promise<T>
  ): Promise<T> {
    const engine = await startEngineProcess({
      ...options,
      storage: context.storage,
      onLog: (entry) => context.log(entry.level, entry.message, entry.fields),
      onProgress: (progress) => context.progress(progress),
    })

    try {
      return await call(engine)
    } finally {
      await engine.close()
    }
  }

  const callOptions = (context: EngineContext) => ({
    options: context.options,
    signal: context.signal,
    workDir: context.workDir,
  })

  return {
    id: manifest.id,
    // validateOptions has no context, so it runs against a storage that rejects every request.
    validateOptions: async (engineOptions) => {
      const context = {
        storage: unusableStorage,
        options: engineOptions,
        log: () => {},
        progress: () => {},
      }
      return run(context as unknown as EngineContext, (engine) =>
        engine.validateOptions({ options: engineOptions })
      )
    },
    describe: (context) =>
      run(context, async (engine) => ({
        tools: (await engine.describe(callOptions(context))).tools,
      })),
    backup: (context, request) =>
      run(context, (engine) => engine.backup(callOptions(context), request)),
    listSnapshots: (context) =>
      run(context, (engine) => engine.listSnapshots(callOptions(context))),
    listFiles: (context, request) =>
      run(context, (engine) => engine.listFiles(callOptions(context), request)),
    restore: (context, request) =>
      run(context, (engine) => engine.restore(callOptions(context), request)),
    forget: (context, request) =>
      run(context, (engine) => engine.forget(callOptions(context), request)),
    verify: (context, request) =>
      run(context, (engine) => engine.verify(callOptions(context), request)),
  }
}

const unusable = async () => {
  throw new Error('validateOptions must not use storage')
}

const unusableStorage = {
  kind: 'none',
  put: unusable,
  get: unusable,
  list: unusable,
  stat: unusable,
  delete: unusable,
  close: async () => {},
}
