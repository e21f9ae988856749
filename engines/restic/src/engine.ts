import { defineEngine } from '@coffer/sdk'
import type { Engine } from '@coffer/sdk'
import { backup } from './backup.js'
import { forget } from './forget.js'
import { listFiles, listSnapshots } from './list.js'
import { validateEngineOptions } from './options.js'
import type { ResticEngineConfig } from './repository.js'
import { restore } from './restore.js'
import { checkResticBinary, resticPath } from './restic_binary.js'
import { verify } from './verify.js'

/** Id of the restic engine, equal to `id` in engine.manifest.json. */
export const RESTIC_ENGINE_ID = 'coffer/restic'

/** Creates the restic engine; `config.binary` overrides `RESTIC_BINARY` and the PATH lookup. */
export function createResticEngine(config: ResticEngineConfig = {}): Engine {
  return defineEngine({
    id: RESTIC_ENGINE_ID,
    describe: async () => {
      const binary = await checkResticBinary(resticPath(config.binary))
      return { tools: { restic: binary.version } }
    },
    validateOptions: (options) => validateEngineOptions(options),
    backup: (context, request) => backup(context, config, request),
    listSnapshots: (context) => listSnapshots(context, config),
    listFiles: (context, request) => listFiles(context, config, request),
    restore: (context, request) => restore(context, config, request),
    forget: (context, request) => forget(context, config, request),
    verify: (context, request) => verify(context, config, request),
  })
}
