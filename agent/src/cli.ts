#!/usr/bin/env node
import { CofferAgent } from './agent.js'
import { ConfigError, loadConfig } from './config/load_config.js'
import { formatHelp } from './config/settings.js'
import { createLogger } from './logger.js'
import { AGENT_VERSION } from './version.js'

const args = process.argv.slice(2)
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(formatHelp())
  process.exit(0)
}

if (args.includes('--version')) {
  process.stdout.write(`${AGENT_VERSION}\n`)
  process.exit(0)
}

if (args.length > 0) {
  process.stderr.write(
    `unknown argument "${args[0]}"; the agent is configured through environment variables, see --help\n`
  )
  process.exit(64)
}

const logger = createLogger()

let config
try {
  config = loadConfig()
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`coffer-agent: ${error.message}\n`)
    process.exit(78)
  }

  throw error
}

let agent: CofferAgent | undefined
let stopping = false
const onSignal = (signal: NodeJS.Signals) => {
  if (stopping) {
    return
  }

  stopping = true
  logger.info({ signal }, 'received a stop signal')
  void agent?.stop(`it received ${signal}`)
  if (!agent) {
    process.exit(1)
  }
}
process.on('SIGTERM', onSignal)
process.on('SIGINT', onSignal)

try {
  agent = await CofferAgent.start(config, { logger })
  await agent.finished()
  logger.info('agent stopped')
} catch (error) {
  logger.fatal({ err: error }, `agent stopped: ${(error as Error).message}`)
  process.exitCode = 1
}
