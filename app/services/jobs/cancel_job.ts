import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import type Job from '#models/job'
import { toDbTime } from '#services/db_time'
import { affectedRows } from '#services/jobs/lease_jobs'
import { broadcastJob } from '#services/jobs/job_broadcast'

/**
 * Cancels a job. A queued job ends at once; a leased or running one gets a cancel request that
 * its agent sees on its next lease renewal or heartbeat, and the agent reports the end.
 * Returns false when the job had already ended.
 */
export async function cancelJob(job: Job) {
  const now = DateTime.now()

  const dequeued = await db
    .from('jobs')
    .where('id', job.id)
    .where('status', 'queued')
    .update({
      status: 'cancelled',
      cancel_requested_at: toDbTime(now),
      finished_at: toDbTime(now),
      updated_at: toDbTime(now),
    })

  if (affectedRows(dequeued) === 0) {
    const requested = await db
      .from('jobs')
      .where('id', job.id)
      .whereIn('status', ['leased', 'running'])
      .update({ cancel_requested_at: toDbTime(now), updated_at: toDbTime(now) })

    if (affectedRows(requested) === 0) {
      return false
    }
  }

  logger.info({ jobId: job.id }, 'job cancellation requested')
  await job.refresh()
  await broadcastJob(job)
  return true
}
