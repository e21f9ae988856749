import logger from '@adonisjs/core/services/logger'
import { DateTime } from 'luxon'
import Agent from '#models/agent'
import Job, { type JobKind } from '#models/job'
import Server from '#models/server'
import { signalJobQueued } from '#services/jobs/job_signals'
import { broadcastJob } from '#services/jobs/job_broadcast'

/** Kinds that are queued again when their lease expires, because repeating them is harmless. */
const RETRIED_KINDS: JobKind[] = ['verify', 'list-files']

export interface EnqueueJobInput {
  kind: JobKind
  payload: Record<string, unknown>
  resourceId?: string | null
  destinationId?: string | null
  snapshotId?: string | null
  /** Any online agent of this server may run the job. */
  serverId?: string | null
  /** Only this agent may run the job (for example the host of a local destination). */
  agentId?: string | null
  requestedBy?: string | null
  timeoutSeconds?: number
}

/**
 * Queues a job for an agent. When no online agent can run it, the job is recorded as failed at
 * once with the reason, and never handed to another host.
 */
export async function enqueueJob(input: EnqueueJobInput) {
  const job = new Job()
  job.fill({
    kind: input.kind,
    status: 'queued',
    payload: input.payload,
    resourceId: input.resourceId ?? null,
    destinationId: input.destinationId ?? null,
    snapshotId: input.snapshotId ?? null,
    serverId: input.serverId ?? null,
    agentId: input.agentId ?? null,
    requestedBy: input.requestedBy ?? null,
    attempt: 0,
    maxAttempts: RETRIED_KINDS.includes(input.kind) ? 3 : 1,
    timeoutSeconds: input.timeoutSeconds ?? 6 * 3600,
  })

  const unavailable = await findUnavailableReason(input)
  if (unavailable) {
    job.status = 'failed'
    job.error = { code: 'NO_ONLINE_AGENT', message: unavailable }
    job.finishedAt = DateTime.now()
  }

  await job.save()
  logger.info({ jobId: job.id, kind: job.kind, status: job.status }, 'job queued')

  if (job.status === 'queued') {
    signalJobQueued()
  }
  await broadcastJob(job)
  return job
}

/** Explains why no agent can run the job now, or returns null when one can. */
async function findUnavailableReason(input: EnqueueJobInput) {
  if (input.agentId) {
    const agent = await Agent.find(input.agentId)
    if (!agent || !agent.isOnline) {
      return `The agent ${agent?.hostname ?? input.agentId} that holds this data is offline or revoked. Start it again, then retry.`
    }
    return null
  }

  if (!input.serverId) {
    return 'The resource is not assigned to a server, so no agent can reach it. Check the agents page.'
  }

  const server = await Server.find(input.serverId)
  const agents = await Agent.query().where('server_id', input.serverId).whereNull('revoked_at')
  const available = agents.filter((agent) => agent.isOnline)
  if (available.length === 0) {
    return `no online agent on server ${server?.name ?? input.serverId}. Start an agent on that server (Agents page), then retry.`
  }
  return null
}
