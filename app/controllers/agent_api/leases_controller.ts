import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import { leaseValidator } from '#validators/agent_api'
import { leaseJobs, releaseLease } from '#services/jobs/lease_jobs'
import { expireLeases } from '#services/jobs/expire_leases'
import { buildLeasePayload } from '#services/jobs/lease_payload'
import { waitForQueuedJob } from '#services/jobs/job_signals'
import { completeJob } from '#services/jobs/complete_job'
import Destination from '#models/destination'
import type Job from '#models/job'
import type Agent from '#models/agent'

/**
 * Ends a leased job whose destination's engine has no accepted bundle, instead of handing the
 * agent a job it cannot run.
 */
async function failWithoutEngine(job: Job, agent: Agent) {
  const destination = await Destination.find(job.destinationId)
  await completeJob(job.id, agent, {
    status: 'failed',
    error: {
      code: 'ENGINE_UNAVAILABLE',
      message: `Engine ${destination?.engineId ?? 'unknown'} has no accepted bundle, so the job cannot run. Accept its publisher key and scan or upload the engine on the Engines page, then retry.`,
    },
  })
}

/** Seconds between database checks while a long poll waits. */
const POLL_CHECK_SECONDS = 2

/**
 * Hands queued jobs to an agent. The request waits up to `waitSeconds` for a job and returns
 * 204 when none came.
 */
export default class LeasesController {
  async store({ request, response, agent }: HttpContext) {
    const { capacity, waitSeconds = 25 } = await request.validateUsing(leaseValidator)
    const deadline = Date.now() + waitSeconds * 1000
    // The response's close event fires when the agent disconnects. A lease must not go to a
    // request whose agent is gone.
    const closed = new AbortController()
    response.response.once('close', () => closed.abort())

    agent.lastSeenAt = DateTime.now()
    await agent.save()

    while (!closed.signal.aborted) {
      await expireLeases()
      const jobs = await leaseJobs(agent, Math.min(capacity, 1))

      if (jobs.length > 0 && closed.signal.aborted) {
        await releaseLease(jobs[0].id, agent)
        break
      }
      if (jobs.length > 0) {
        const payload = await buildLeasePayload(jobs[0], agent)
        if (payload.destination && !payload.engine) {
          await failWithoutEngine(jobs[0], agent)
          continue
        }
        return { job: payload }
      }

      const remaining = deadline - Date.now()
      if (remaining <= 0) {
        break
      }
      await waitForQueuedJob(Math.min(remaining, POLL_CHECK_SECONDS * 1000), closed.signal)
    }

    return response.noContent()
  }
}
