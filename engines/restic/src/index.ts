import { createResticEngine } from './engine.js'

export { createResticEngine, RESTIC_ENGINE_ID } from './engine.js'
export type { ResticEngineConfig } from './repository.js'
export { MIN_RESTIC_VERSION } from './restic_binary.js'

/** The engine as a host loads it: restic from `RESTIC_BINARY`, else `restic` on PATH. */
export default createResticEngine()
