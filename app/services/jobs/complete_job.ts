import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import type Agent from '#models/agent'
import Job, { type JobStatus } from '#models/job'
import Snapshot from '#models/snapshot'
import { broadcastJob } from '#services/jobs/job_broadcast'
import { applyBackupResult } from '#services/jobs/apply_backup_result'
import { alertOnJobFinished } from '#services/alerts/job_alerts'
import {
  listedSnapshots,
  recordUnrecordedSnapshots,
} from '#services/reconciliation/unrecorded_snapshots'

/** The end of a job as an agent reports it. */
export interface JobCompletion {
  status: Extract<JobStatus, 'succeeded' | 'succeeded_with_warnings' | 'failed' | 'cancelled'>
  result?: Record<string, any> | null
  error?: { code: string; message: string; cause?: string } | null
}

/** Raised when the agent does not hold the job's lease any more. */
export class LeaseLostError extends Error {
  code = 'LEASE_LOST'
}

/**
 * Records how a job ended and applies its result (snapshot records, deletions, verification
 * marks). Only the agent holding the lease may complete a job, and a completed job never
 * changes again.
 */
export async function completeJob(jobId: string, agent: Agent, completion: JobCompletion) {
  const job = await db.transaction(async (trx) => {
    const locked = await Job.query({ client: trx })
      .where('id', jobId)
      .where('leased_by', agent.id)
      .whereIn('status', ['leased', 'running'])
      .forUpdate()
      .first()

    if (!locked) {
      throw new LeaseLostError(
        `Job ${jobId} is not leased by this agent any more (its lease expired, or it was cancelled or completed).`
      )
    }

    let status: JobStatus = completion.status
    let error = completion.error ?? null

    if (locked.kind === 'backup') {
      const outcome = await applyBackupResult(locked, agent, completion, trx)
      status = outcome.status
      error = outcome.error
    }

    if (locked.kind === 'forget') {
      await applyForgetResult(locked, status, trx)
    }

    if (locked.kind === 'verify') {
      await applyVerifyResult(completion, trx)
      const listed = listedSnapshots(completion.result)
      if (listed && locked.destinationId) {
        await recordUnrecordedSnapshots(locked.destinationId, listed, trx)
      }
    }

    locked.useTransaction(trx)
    locked.merge({
      status,
      result: completion.result ?? null,
      error,
      finishedAt: DateTime.now(),
      leaseExpiresAt: null,
    })
    await locked.save()
    return locked
  })

  logger.info({ jobId, agentId: agent.id, status: job.status }, 'job completed')
  await broadcastJob(job)
  await alertOnJobFinished(job)
  return job
}

/** Removes the records of deleted snapshots, or puts them back when the deletion failed. */
export async function applyForgetResult(job: Job, status: JobStatus, trx: any) {
  const ids: string[] = (job.payload.snapshots ?? []).map((ref: { id: string }) => ref.id)
  if (ids.length === 0) {
    return
  }

  if (status === 'succeeded' || status === 'succeeded_with_warnings') {
    await Snapshot.query({ client: trx }).whereIn('id', ids).delete()
    return
  }

  const previous: Record<string, string> = job.payload.previousStatus ?? {}
  for (const id of ids) {
    await Snapshot.query({ client: trx })
      .where('id', id)
      .update({ status: previous[id] ?? 'succeeded' })
  }
}

/**
 * Marks snapshots missing or present again from a verification's result. A snapshot that
 * reappears goes back to the state it had before it went missing.
 */
async function applyVerifyResult(completion: JobCompletion, trx: any) {
  const verified: { id: string; present: boolean; ok?: boolean }[] =
    completion.result?.verified ?? []

  for (const entry of verified) {
    const snapshot = await Snapshot.query({ client: trx }).where('id', entry.id).first()
    if (!snapshot) {
      continue
    }

    if (!entry.present && snapshot.status !== 'missing') {
      snapshot.warnings = [
        ...(snapshot.warnings ?? []),
        { code: 'PREVIOUS_STATUS', message: snapshot.status },
      ]
      snapshot.status = 'missing'
    } else if (entry.present && snapshot.status === 'missing') {
      const marker = (snapshot.warnings ?? []).find((w) => w.code === 'PREVIOUS_STATUS')
      snapshot.status = (marker?.message as Snapshot['status']) ?? 'succeeded'
      snapshot.warnings = (snapshot.warnings ?? []).filter((w) => w.code !== 'PREVIOUS_STATUS')
    }

    if (entry.present) {
      snapshot.verifiedAt = DateTime.now()
    }
    snapshot.useTransaction(trx)
    await snapshot.save()
  }
}
