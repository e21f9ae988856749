import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import type { HttpContext } from '@adonisjs/core/http'
import Job from '#models/job'
import { completeJobValidator, jobEventsValidator } from '#validators/agent_api'
import { renewLease } from '#services/jobs/lease_jobs'
import { appendJobEvents, type IncomingJobEvent } from '#services/jobs/append_job_events'
import { completeJob, LeaseLostError } from '#services/jobs/complete_job'
import {
  downloadArchivePath,
  downloadsFolder,
  partialUploadPath,
} from '#services/downloads/download_paths'

/** The error body returned when the agent no longer holds a job's lease. */
function leaseLost(jobId: string) {
  return {
    error: {
      code: 'LEASE_LOST',
      message: `Job ${jobId} is not leased by this agent any more (its lease expired, or it was cancelled or completed). Stop working on it.`,
    },
  }
}

/** Calls an agent makes while it works on a leased job. */
export default class JobsController {
  /** Extends the lease and says whether cancellation was requested. */
  async renew({ params, response, agent }: HttpContext) {
    const job = await renewLease(params.id, agent)
    if (!job) {
      return response.conflict(leaseLost(params.id))
    }

    return {
      leaseExpiresAt: job.leaseExpiresAt?.toISO(),
      cancelRequested: job.cancelRequestedAt !== null,
    }
  }

  /** Stores log lines and progress. */
  async events({ params, request, response, agent }: HttpContext) {
    const { events } = await request.validateUsing(jobEventsValidator)
    const job = await this.findLeased(params.id, agent.id)
    if (!job) {
      return response.conflict(leaseLost(params.id))
    }

    await appendJobEvents(job, events as IncomingJobEvent[])
    return response.noContent()
  }

  /** Receives the tar stream of an `extract` job, streamed to disk, never held in memory. */
  async upload({ params, request, response, agent }: HttpContext) {
    const job = await this.findLeased(params.id, agent.id)
    if (!job || job.kind !== 'extract') {
      return response.conflict(leaseLost(params.id))
    }

    // The archive gets its final name only when the whole stream arrived, so the download route
    // never serves a truncated archive. A failed upload removes its partial file here, and the
    // pruning removes one left by a controller that stopped during an upload.
    const partial = partialUploadPath(job.id)
    await mkdir(downloadsFolder(), { recursive: true })
    try {
      await pipeline(request.request, createWriteStream(partial, { mode: 0o600 }))
    } catch (error) {
      await rm(partial, { force: true })
      throw error
    }
    await rename(partial, downloadArchivePath(job.id))
    return response.noContent()
  }

  /** Records how the job ended. */
  async complete({ params, request, response, agent }: HttpContext) {
    const completion = await request.validateUsing(completeJobValidator)

    try {
      const job = await completeJob(params.id, agent, completion)
      return { status: job.status }
    } catch (error) {
      if (error instanceof LeaseLostError) {
        return response.conflict(leaseLost(params.id))
      }
      throw error
    }
  }

  private findLeased(jobId: string, agentId: string) {
    return Job.query()
      .where('id', jobId)
      .where('leased_by', agentId)
      .whereIn('status', ['leased', 'running'])
      .first()
  }
}
