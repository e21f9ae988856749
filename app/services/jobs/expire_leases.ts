import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import Job from '#models/job'
import Snapshot from '#models/snapshot'
import { toDbTime } from '#services/db_time'
import { affectedRows } from '#services/jobs/lease_jobs'
import { broadcastJob } from '#services/jobs/job_broadcast'
import { signalJobQueued } from '#services/jobs/job_signals'
import { applyForgetResult } from '#services/jobs/complete_job'
import { alertOnJobFinished } from '#services/alerts/job_alerts'

/** Reason recorded on a job whose agent stopped renewing its lease. */
export const LEASE_EXPIRED_MESSAGE =
  'lease expired: the agent stopped renewing it (it crashed, was stopped or lost its connection)'

/**
 * Ends the jobs whose lease expired: queued again when the kind may be retried and attempts
 * remain, failed with the reason otherwise. Each change is a conditional update on the expired
 * lease, so two controllers sweeping at once change a job once.
 */
export async function expireLeases(now = DateTime.now()) {
  const expired = await Job.query()
    .whereIn('status', ['leased', 'running'])
    .where('lease_expires_at', '<', toDbTime(now))

  for (const job of expired) {
    const retry = job.attempt < job.maxAttempts
    const changes = retry
      ? { status: 'queued', leased_by: null, lease_expires_at: null }
      : {
          status: 'failed',
          error: JSON.stringify({ code: 'LEASE_EXPIRED', message: LEASE_EXPIRED_MESSAGE }),
          finished_at: toDbTime(now),
        }

    const updated = await db
      .from('jobs')
      .where('id', job.id)
      .whereIn('status', ['leased', 'running'])
      .where('lease_expires_at', '<', toDbTime(now))
      .update({ ...changes, updated_at: toDbTime(now) })

    if (affectedRows(updated) !== 1) {
      continue
    }

    logger.warn({ jobId: job.id, agentId: job.leasedBy, retry }, 'job lease expired')

    if (retry) {
      signalJobQueued()
    } else {
      await Snapshot.query()
        .where('job_id', job.id)
        .where('status', 'running')
        .update({ status: 'failed', error: LEASE_EXPIRED_MESSAGE, finished_at: toDbTime(now) })
      if (job.kind === 'forget') {
        await applyForgetResult(job, 'failed', undefined)
      }
    }

    await job.refresh()
    await broadcastJob(job)
    if (!retry) {
      await alertOnJobFinished(job)
    }
  }

  return expired.length
}
