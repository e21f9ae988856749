import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import Agent from '#models/agent'
import Instance from '#models/instance'
import Server from '#models/server'
import { generateToken, hashToken } from '#services/tokens'

/** Raised when an enrollment token matches no instance. */
export class InvalidEnrollmentTokenError extends Error {
  code = 'INVALID_ENROLLMENT_TOKEN'
}

/**
 * Exchanges an instance's enrollment token for a new agent and its own bearer token. Every call
 * creates a new agent: an agent is its credential, so enrolling again with the same token and
 * hostname can never take over an existing agent. Returns the token once; only its hash is kept.
 */
export async function enrollAgent(input: {
  enrollmentToken: string
  hostname: string
  agentVersion: string
}) {
  const instance = await Instance.findBy('enrollmentTokenHash', hashToken(input.enrollmentToken))
  if (!instance) {
    throw new InvalidEnrollmentTokenError(
      'The enrollment token is not valid: it was mistyped or rotated. Reveal the install command again on the instance page and use the new token.'
    )
  }

  const token = generateToken('coffer_agent')

  const agent = await db.transaction(async (trx) => {
    let serverId: string | null = null

    // A plain Docker host is its own server; Coolify servers are matched from the labels the
    // agent reports later.
    if (instance.kind === 'docker') {
      const server = await Server.create(
        { instanceId: instance.id, name: input.hostname },
        { client: trx }
      )
      serverId = server.id
    }

    return Agent.create(
      {
        instanceId: instance.id,
        serverId,
        serverPinned: false,
        tokenHash: hashToken(token),
        hostname: input.hostname,
        agentVersion: input.agentVersion,
        concurrency: 1,
        heartbeatSeconds: 15,
      },
      { client: trx }
    )
  })

  logger.info({ agentId: agent.id, instanceId: instance.id }, 'agent enrolled')
  return { agent, token }
}

/** Finds the agent a bearer token belongs to, unless it was revoked. */
export async function findAgentByToken(token: string) {
  return Agent.query().where('token_hash', hashToken(token)).whereNull('revoked_at').first()
}
