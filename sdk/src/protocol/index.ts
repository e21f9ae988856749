export { startEngineProcess, defaultRunnerPath } from './host.js'
export type {
  StartEngineProcessOptions,
  EngineProcess,
  EngineCallOptions,
  EngineLogEntry,
} from './host.js'
export { serveEngine, type ServeEngineOptions } from './engine_side.js'
export { negotiateApiVersion } from './negotiate.js'
export { engineChildEnvironment, INHERITED_VARIABLES } from './child_process_env.js'
export { PROTOCOL_VERSION, type CallMethod } from './messages.js'
export { STREAM_WINDOW } from './connection.js'
export { MAX_DATA_CHUNK } from './frames.js'
export { processEngine, type ProcessEngineOptions } from './process_engine.js'
