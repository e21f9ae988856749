import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { DateTime } from 'luxon'
import Job from '#models/job'
import type Agent from '#models/agent'
import { toDbTime } from '#services/db_time'
import { signalJobQueued } from '#services/jobs/job_signals'

/**
 * Seconds a lease lasts without renewal (JOB_LEASE_SECONDS, 60 by default). Agents renew every
 * third of it, so a stopped agent's jobs fail within this time.
 */
export function leaseSeconds() {
  return env.get('JOB_LEASE_SECONDS', 60)
}

/**
 * Oldest queued jobs read per lease request. Each request tries them in a random order, so many
 * agents polling at once spread over the queue instead of all racing for the same oldest job.
 */
const CANDIDATES_PER_ATTEMPT = 50

/**
 * Leases up to `capacity` queued jobs for an agent. Each lease is one conditional update
 * (`... WHERE id = ? AND status = 'queued'`), so with several agents and several controllers
 * sharing the database a job is leased at most once: the loser's update matches no row.
 */
export async function leaseJobs(agent: Agent, capacity: number) {
  const leased: Job[] = []
  const now = DateTime.now()

  const candidates = await db
    .from('jobs')
    .select('id')
    .where('status', 'queued')
    .where((query) => {
      query.where('agent_id', agent.id)
      if (agent.serverId) {
        query.orWhere((inner) => inner.whereNull('agent_id').where('server_id', agent.serverId!))
      }
    })
    .orderBy('created_at', 'asc')
    .limit(Math.max(capacity, CANDIDATES_PER_ATTEMPT))

  for (const candidate of shuffle(candidates)) {
    if (leased.length >= capacity) {
      break
    }

    const updated = await db
      .from('jobs')
      .where('id', candidate.id)
      .where('status', 'queued')
      .update({
        status: 'leased',
        leased_by: agent.id,
        lease_expires_at: toDbTime(now.plus({ seconds: leaseSeconds() })),
        attempt: db.raw('attempt + 1'),
        updated_at: toDbTime(now),
      })

    if (affectedRows(updated) === 1) {
      leased.push(await Job.findOrFail(candidate.id))
    }
  }

  return leased
}

/** Returns the items in a random order (Fisher-Yates). */
function shuffle<T>(items: T[]) {
  const copy = [...items]
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1))
    ;[copy[index], copy[other]] = [copy[other], copy[index]]
  }
  return copy
}

/**
 * Extends a lease the agent holds and marks the job running. Returns null when the agent no
 * longer holds it (expired, cancelled and finished, or leased by another agent).
 */
export async function renewLease(jobId: string, agent: Agent) {
  const now = DateTime.now()
  const updated = await db
    .from('jobs')
    .where('id', jobId)
    .where('leased_by', agent.id)
    .whereIn('status', ['leased', 'running'])
    .update({
      status: 'running',
      lease_expires_at: toDbTime(now.plus({ seconds: leaseSeconds() })),
      started_at: db.raw('COALESCE(started_at, ?)', [toDbTime(now)]),
      updated_at: toDbTime(now),
    })

  if (affectedRows(updated) !== 1) {
    return null
  }
  return Job.findOrFail(jobId)
}

/**
 * Puts a job the agent just leased back in the queue, for a lease request whose agent
 * disconnected before it could receive the job.
 */
export async function releaseLease(jobId: string, agent: Agent) {
  await db
    .from('jobs')
    .where('id', jobId)
    .where('leased_by', agent.id)
    .where('status', 'leased')
    .update({
      status: 'queued',
      leased_by: null,
      lease_expires_at: null,
      attempt: db.raw('attempt - 1'),
      updated_at: toDbTime(DateTime.now()),
    })
  signalJobQueued()
}

/** Number of rows an update changed; drivers return a number or an array. */
export function affectedRows(result: unknown) {
  if (typeof result === 'number') {
    return result
  }
  if (Array.isArray(result)) {
    return typeof result[0] === 'number' ? result[0] : result.length
  }
  return 0
}
