import type { HttpContext } from '@adonisjs/core/http'
import { enrollValidator } from '#validators/agent_api'
import { enrollAgent, InvalidEnrollmentTokenError } from '#services/agents/enroll_agent'

/** Turns an enrollment token into an agent with its own bearer token. */
export default class EnrollmentsController {
  async store({ request, response }: HttpContext) {
    const input = await request.validateUsing(enrollValidator)

    try {
      const { agent, token } = await enrollAgent(input)
      return response.created({ agentId: agent.id, token })
    } catch (error) {
      if (error instanceof InvalidEnrollmentTokenError) {
        return response.unauthorized({ error: { code: error.code, message: error.message } })
      }
      throw error
    }
  }
}
