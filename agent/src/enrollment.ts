import { setTimeout as sleep } from 'node:timers/promises'
import type { AgentConfig } from './config/load_config.js'
import { ControllerError, type ControllerClient } from './controller/client.js'
import type { AgentLogger } from './logger.js'
import { readCredentials, writeCredentials, type AgentCredentials } from './state/credentials.js'

/** Inputs of `ensureEnrolled`. */
export interface EnrollmentOptions {
  config: AgentConfig
  client: ControllerClient
  credentialsPath: string
  hostname: string
  agentVersion: string
  logger: AgentLogger
  signal?: AbortSignal
}

/**
 * Returns the stored credentials when the agent enrolled with this controller before. Otherwise,
 * exchanges the enrollment token for new ones and stores them before returning. Retries while the
 * controller is unreachable or failing (5xx), and raises on any other rejection.
 */
export async function ensureEnrolled(options: EnrollmentOptions): Promise<AgentCredentials> {
  const { config, client, logger } = options
  const controllerUrl = config.controllerUrl.href
  const stored = await readCredentials(options.credentialsPath)
  if (stored && stored.controllerUrl === controllerUrl) {
    logger.info({ agentId: stored.agentId }, 'using the stored agent credentials')
    return stored
  }

  if (config.enrollmentToken === '') {
    const reason = stored
      ? `the stored credentials belong to ${stored.controllerUrl}`
      : 'the agent has not enrolled yet'
    throw new Error(
      `${reason}; set COFFER_ENROLLMENT_TOKEN to the enrollment token of ${controllerUrl}`
    )
  }

  for (let attempt = 1; ; attempt += 1) {
    try {
      const enrolled = await client.enroll({
        enrollmentToken: config.enrollmentToken,
        hostname: options.hostname,
        agentVersion: options.agentVersion,
      })
      const credentials: AgentCredentials = {
        agentId: enrolled.agentId,
        token: enrolled.token,
        controllerUrl,
        enrolledAt: new Date().toISOString(),
      }
      await writeCredentials(options.credentialsPath, credentials)
      logger.info(
        { agentId: credentials.agentId, controller: controllerUrl },
        'enrolled with the controller'
      )
      return credentials
    } catch (error) {
      const retryable =
        error instanceof ControllerError && (error.status === 0 || error.status >= 500)
      if (!retryable) {
        throw new Error(`enrollment with ${controllerUrl} failed: ${(error as Error).message}`, {
          cause: error,
        })
      }

      const delaySeconds = Math.min(60, 2 ** Math.min(attempt, 6))
      logger.warn({ err: error, attempt, delaySeconds }, 'enrollment failed; retrying')
      await sleep(delaySeconds * 1000, undefined, { signal: options.signal })
    }
  }
}
