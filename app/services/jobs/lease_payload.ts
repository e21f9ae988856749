import { DateTime } from 'luxon'
import type Agent from '#models/agent'
import Destination from '#models/destination'
import type Job from '#models/job'
import Snapshot from '#models/snapshot'
import { readDestinationSecrets } from '#services/destinations/destination_secrets'
import { findShippableEngine } from '#services/engines/find_shippable_engine'
import { leaseSeconds } from '#services/jobs/lease_jobs'

/**
 * Builds what an agent receives with a lease: the job, the engine to run, and the destination
 * with its decrypted secrets. Secrets leave the controller only here, inside the lease
 * response. For a backup, the snapshot record is created now, on the agent that runs it.
 */
export async function buildLeasePayload(job: Job, agent: Agent) {
  const destination = job.destinationId ? await Destination.find(job.destinationId) : null
  const engine = destination ? await findShippableEngine(destination.engineId) : null

  if (job.kind === 'backup' && destination && engine) {
    await Snapshot.updateOrCreate(
      { id: job.payload.snapshotId },
      {
        resourceId: job.resourceId,
        destinationId: destination.id,
        jobId: job.id,
        agentId: agent.id,
        volume: job.payload.volumeLabel ?? '',
        engineId: engine.engineId,
        engineVersion: engine.version,
        status: 'running',
        artifacts: [],
        startedAt: DateTime.now(),
      }
    )
  }

  return {
    id: job.id,
    kind: job.kind,
    attempt: job.attempt,
    leaseExpiresAt: job.leaseExpiresAt?.toISO(),
    leaseSeconds: leaseSeconds(),
    timeoutSeconds: job.timeoutSeconds,
    engine: engine ? { id: engine.engineId, version: engine.version, digest: engine.digest } : null,
    destination: destination
      ? {
          id: destination.id,
          kind: destination.kind,
          config: destination.config,
          secrets: readDestinationSecrets(destination, 'secrets'),
        }
      : null,
    engineOptions: destination
      ? {
          ...destination.engineOptions,
          ...readDestinationSecrets(destination, 'engine_secrets'),
        }
      : null,
    payload: job.payload,
  }
}
