// The agent's library entry: the daemon, its settings, and the destination drivers.
export * from './destinations/index.js'
export { CofferAgent, type AgentStartOptions } from './agent.js'
export { loadConfig, ConfigError, type AgentConfig } from './config/load_config.js'
export { SETTINGS, formatHelp } from './config/settings.js'
export { AGENT_VERSION } from './version.js'
export type * from './controller/api_types.js'
