import { DateTime } from 'luxon'
import Agent from '#models/agent'
import Destination from '#models/destination'
import Job from '#models/job'
import Resource from '#models/resource'
import Snapshot from '#models/snapshot'

/** Days of storage history the overview chart shows. */
const CHART_DAYS = 30

/**
 * Gathers the dashboard: the last snapshot of each resource, recent failures with their causes,
 * offline agents, and the bytes each destination held on each of the last days.
 */
export async function loadOverview() {
  const resources = await Resource.query().whereNull('missing_at').orderBy('name')
  const snapshots = await Snapshot.query().orderBy('started_at', 'desc').limit(5000)

  const lastByResource = new Map<string, Snapshot>()
  for (const snapshot of snapshots) {
    if (snapshot.resourceId && !lastByResource.has(snapshot.resourceId)) {
      lastByResource.set(snapshot.resourceId, snapshot)
    }
  }

  const failures = await Job.query()
    .where('status', 'failed')
    .where('finished_at', '>=', DateTime.now().minus({ days: 7 }).toSQL()!)
    .preload('resource')
    .orderBy('finished_at', 'desc')
    .limit(20)

  const agents = await Agent.query().whereNull('revoked_at')
  const offlineAgents = agents.filter((agent) => !agent.isOnline)

  const destinations = await Destination.query().orderBy('name')
  const storage = destinations.map((destination) => ({
    destination,
    points: storageHistory(
      snapshots.filter((snapshot) => snapshot.destinationId === destination.id)
    ),
  }))

  return {
    resources: resources.map((resource) => ({ resource, last: lastByResource.get(resource.id) })),
    failures,
    offlineAgents,
    storage,
  }
}

/**
 * Bytes stored at the end of each of the last days: the sum of the sizes of successful
 * snapshots that existed then. Deleted snapshots are gone from the records, so earlier days
 * show only what is still kept.
 */
function storageHistory(snapshots: Snapshot[]) {
  const points: { day: string; bytes: number }[] = []
  const today = DateTime.now().endOf('day')

  for (let offset = CHART_DAYS - 1; offset >= 0; offset--) {
    const end = today.minus({ days: offset })
    const bytes = snapshots
      .filter((snapshot) => snapshot.isRestorable && snapshot.startedAt <= end)
      .reduce((sum, snapshot) => sum + snapshot.sizeBytes, 0)
    points.push({ day: end.toISODate()!, bytes })
  }
  return points
}
