import logger from '@adonisjs/core/services/logger'
import Destination from '#models/destination'
import type Job from '#models/job'
import Resource from '#models/resource'
import Snapshot from '#models/snapshot'
import { enqueueJob } from '#services/jobs/enqueue_job'

/** Snapshots checked by one verify job; larger sets are split. */
const SNAPSHOTS_PER_JOB = 200

/** Statuses whose presence is checked: good snapshots, and missing ones that may reappear. */
const CHECKED_STATUSES = ['succeeded', 'succeeded_with_warnings', 'missing']

/**
 * Queues `verify` jobs at `structure` level that check every recorded snapshot of a destination
 * is still there (for restic, that the snapshot exists in the repository). Snapshots of a local
 * destination are checked by the agent that wrote them; the others by an agent of their
 * resource's server. The results mark snapshots missing or present again when the jobs complete,
 * and report the snapshots at the destination that Coffer has no record of.
 */
export async function reconcileDestination(destination: Destination, requestedBy: string | null) {
  const snapshots = await Snapshot.query()
    .where('destination_id', destination.id)
    .whereIn('status', CHECKED_STATUSES)
    .orderBy('started_at')

  const resourceIds = [...new Set(snapshots.map((snapshot) => snapshot.resourceId).filter(Boolean))]
  const resources = resourceIds.length
    ? await Resource.query().whereIn('id', resourceIds as string[])
    : []
  const serverOf = new Map(resources.map((resource) => [resource.id, resource.serverId]))

  const groups = new Map<
    string,
    { agentId: string | null; serverId: string | null; snapshots: Snapshot[] }
  >()
  for (const snapshot of snapshots) {
    const serverId = snapshot.resourceId ? (serverOf.get(snapshot.resourceId) ?? null) : null
    const agentId = destination.kind === 'local' ? snapshot.agentId : null
    const key = agentId ? `agent:${agentId}` : `server:${serverId}`
    const group = groups.get(key) ?? { agentId, serverId, snapshots: [] }
    group.snapshots.push(snapshot)
    groups.set(key, group)
  }

  const jobs: Job[] = []
  for (const group of groups.values()) {
    for (let start = 0; start < group.snapshots.length; start += SNAPSHOTS_PER_JOB) {
      const chunk = group.snapshots.slice(start, start + SNAPSHOTS_PER_JOB)
      const job = await enqueueJob({
        kind: 'verify',
        destinationId: destination.id,
        agentId: group.agentId,
        serverId: group.serverId,
        requestedBy,
        payload: {
          snapshots: chunk.map((snapshot) => snapshot.toRef()),
          level: 'structure',
          // One job per agent or server also lists what the destination holds, so snapshots
          // Coffer has no record of are reported.
          listDestination: start === 0,
        },
      })
      jobs.push(job)
    }
  }

  logger.info(
    { destinationId: destination.id, snapshots: snapshots.length, jobs: jobs.length },
    'reconciliation queued'
  )
  return jobs
}

/** Queues reconciliation of every destination. */
export async function reconcileAllDestinations(requestedBy: string | null) {
  const destinations = await Destination.all()
  const jobs: Job[] = []
  for (const destination of destinations) {
    jobs.push(...(await reconcileDestination(destination, requestedBy)))
  }
  return jobs
}
