import type { HttpContext } from '@adonisjs/core/http'
import { heartbeatValidator } from '#validators/agent_api'
import { recordHeartbeat } from '#services/agents/record_heartbeat'

/** Records an agent's heartbeat and tells it which jobs to cancel. */
export default class HeartbeatsController {
  async store({ request, agent }: HttpContext) {
    const heartbeat = await request.validateUsing(heartbeatValidator)
    const cancelJobs = await recordHeartbeat(agent, heartbeat)

    return {
      serverTime: new Date().toISOString(),
      cancelJobs,
      heartbeatSeconds: agent.heartbeatSeconds,
    }
  }
}
