import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import type Agent from '#models/agent'
import { findAgentByToken } from '#services/agents/enroll_agent'

declare module '@adonisjs/core/http' {
  interface HttpContext {
    /** The agent that sent the request, on routes of the agent API. */
    agent: Agent
  }
}

/**
 * Authenticates agent API requests by bearer token. Sessions never authenticate here, and a
 * revoked agent's token stops working at once.
 */
export default class AgentAuthMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const header = ctx.request.header('authorization') ?? ''
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : ''

    const agent = token ? await findAgentByToken(token) : null
    if (!agent) {
      return ctx.response.unauthorized({
        error: {
          code: 'INVALID_AGENT_TOKEN',
          message:
            'The agent token is missing, unknown or revoked. Enroll the agent again with a fresh enrollment token.',
        },
      })
    }

    ctx.agent = agent
    return next()
  }
}
