import { pino } from 'pino'
import type { AgentLogger } from '../../src/logger.js'

/** A logger for tests: silent unless COFFER_TEST_LOG_LEVEL is set. */
export function testLogger(): AgentLogger {
  return pino({ level: process.env.COFFER_TEST_LOG_LEVEL ?? 'silent' })
}
