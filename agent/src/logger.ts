import { pino, type Logger } from 'pino'

/** The agent's logger type, so modules do not import pino directly. */
export type AgentLogger = Logger

/** Creates the agent's logger: JSON lines on stderr, level from COFFER_LOG_LEVEL (default info). */
export function createLogger(level = process.env.COFFER_LOG_LEVEL ?? 'info'): AgentLogger {
  return pino({ name: 'coffer-agent', level }, pino.destination(2))
}
