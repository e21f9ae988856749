import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { DateTime } from 'luxon'
import Job from '#models/job'
import type Agent from '#models/agent'
import type { DatabaseQueryBuilderContract } from '@adonisjs/lucid/types/querybuilder'
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
 * Leases up to `capacity` of the oldest queued jobs for an agent. Every update checks that the
 * job is still queued, so a job is leased at most once. Concurrent requests skip the rows others
 * are leasing (PostgreSQL) or run one after another (SQLite), so they do not lose to each other.
 * NOTE: several controllers sharing one SQLite file can still race; each update's status check
 * then keeps the job with one of them, and the other request may find no job.
 */
export async function leaseJobs(agent: Agent, capacity: number) {
  const now = DateTime.now()
  const lease = {
    status: 'leased',
    leased_by: agent.id,
    lease_expires_at: toDbTime(now.plus({ seconds: leaseSeconds() })),
    updated_at: toDbTime(now),
  }

  const ids =
    db.connection().dialect.name === 'postgres'
      ? await leaseOnPostgres(agent, capacity, lease)
      : await leaseOnSqlite(agent, capacity, lease)

  if (ids.length === 0) {
    return []
  }
  return Job.query().whereIn('id', ids).orderBy('created_at', 'asc')
}

type LeaseColumns = Record<'status' | 'leased_by' | 'lease_expires_at' | 'updated_at', string>

/** Selects the agent's queued jobs, oldest first. */
function queuedFor(agent: Agent, query: DatabaseQueryBuilderContract) {
  return query
    .from('jobs')
    .select('id')
    .where('status', 'queued')
    .where((scope) => {
      scope.where('agent_id', agent.id)
      if (agent.serverId) {
        scope.orWhere((inner) => inner.whereNull('agent_id').where('server_id', agent.serverId!))
      }
    })
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
}

/**
 * Leases in one statement. A CTE picks the oldest rows with `FOR UPDATE SKIP LOCKED`, so that
 * concurrent requests skip the rows another transaction is leasing instead of waiting for them.
 */
async function leaseOnPostgres(agent: Agent, capacity: number, lease: LeaseColumns) {
  const picked = queuedFor(agent, db.query()).limit(capacity).forUpdate().skipLocked().toSQL()
  const result = await db.rawQuery(
    `WITH picked AS (${picked.sql})
     UPDATE jobs SET status = ?, leased_by = ?, lease_expires_at = ?, updated_at = ?,
       attempt = attempt + 1
     FROM picked WHERE jobs.id = picked.id AND jobs.status = 'queued'
     RETURNING jobs.id`,
    [...picked.bindings, lease.status, lease.leased_by, lease.lease_expires_at, lease.updated_at]
  )
  return (result.rows as { id: string }[]).map((row) => row.id)
}

/**
 * Leases in one transaction, which SQLite runs alone on the controller's single connection.
 * Each update still checks that the job is queued, in case another process shares the file.
 */
async function leaseOnSqlite(agent: Agent, capacity: number, lease: LeaseColumns) {
  return db.transaction(async (trx) => {
    const candidates = (await queuedFor(agent, trx.query()).limit(capacity)) as { id: string }[]
    const leased: string[] = []
    for (const { id } of candidates) {
      const updated = await trx
        .from('jobs')
        .where('id', id)
        .where('status', 'queued')
        .update({ ...lease, attempt: trx.raw('attempt + 1') })
      if (affectedRows(updated) === 1) {
        leased.push(id)
      }
    }
    return leased
  })
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
