import type Snapshot from '#models/snapshot'
import Resource from '#models/resource'
import Destination from '#models/destination'
import { enqueueJob } from '#services/jobs/enqueue_job'

/**
 * Returns where a job that reads a snapshot must run. For a local destination that is the agent
 * that wrote it, because the files live on that host; otherwise any agent of the resource's server.
 */
async function snapshotTarget(snapshot: Snapshot) {
  const destination = await Destination.findOrFail(snapshot.destinationId)
  const resource = snapshot.resourceId ? await Resource.find(snapshot.resourceId) : null

  if (destination.kind === 'local') {
    return { agentId: snapshot.agentId, serverId: resource?.serverId ?? null }
  }
  return { agentId: null, serverId: resource?.serverId ?? null }
}

/** A restore's destination other than the snapshot's own volume. */
export interface RestoreTarget {
  type: 'new-volume'
  name: string
}

/**
 * Queues a restore of a snapshot in replace mode: into its own volume, stopping the containers
 * that use it, or into a new volume that the agent creates and no container uses yet.
 */
export async function startRestore(
  snapshot: Snapshot,
  requestedBy: string | null,
  target?: RestoreTarget
) {
  const resource = await Resource.findOrFail(snapshot.resourceId)
  const volume = resource.volumes.find((entry) =>
    entry.type === 'volume' ? entry.name === snapshot.volume : entry.source === snapshot.volume
  )

  return enqueueJob({
    kind: 'restore',
    resourceId: resource.id,
    destinationId: snapshot.destinationId,
    snapshotId: snapshot.id,
    requestedBy,
    ...(await snapshotTarget(snapshot)),
    payload: {
      snapshot: snapshot.toRef(),
      snapshotId: snapshot.id,
      volume,
      mode: 'replace',
      ...(target ? { target } : {}),
    },
  })
}

/**
 * Queues the deletion of a snapshot's files at the destination. The record is removed only
 * when the agent reports that the files are gone.
 */
export async function startForget(snapshot: Snapshot, requestedBy: string | null) {
  const previousStatus = snapshot.status
  snapshot.status = 'deleting'
  await snapshot.save()

  const job = await enqueueJob({
    kind: 'forget',
    resourceId: snapshot.resourceId,
    destinationId: snapshot.destinationId,
    snapshotId: snapshot.id,
    requestedBy,
    ...(await snapshotTarget(snapshot)),
    payload: { snapshots: [snapshot.toRef()], previousStatus: { [snapshot.id]: previousStatus } },
  })

  // A deletion that could not start leaves the snapshot as it was.
  if (job.status === 'failed') {
    snapshot.status = previousStatus
    await snapshot.save()
  }
  return job
}

/** Queues a listing of a snapshot's files. */
export async function startListFiles(snapshot: Snapshot, requestedBy: string | null) {
  return enqueueJob({
    kind: 'list-files',
    resourceId: snapshot.resourceId,
    destinationId: snapshot.destinationId,
    snapshotId: snapshot.id,
    requestedBy,
    ...(await snapshotTarget(snapshot)),
    payload: { snapshot: snapshot.toRef(), snapshotId: snapshot.id },
  })
}

/** Queues the extraction of one file or folder, which the agent uploads as a tar stream. */
export async function startExtract(snapshot: Snapshot, path: string, requestedBy: string | null) {
  return enqueueJob({
    kind: 'extract',
    resourceId: snapshot.resourceId,
    destinationId: snapshot.destinationId,
    snapshotId: snapshot.id,
    requestedBy,
    ...(await snapshotTarget(snapshot)),
    payload: { snapshot: snapshot.toRef(), snapshotId: snapshot.id, paths: [path] },
  })
}

/** Queues a verification of a snapshot at the given level. */
export async function startVerify(
  snapshot: Snapshot,
  level: 'structure' | 'metadata' | 'data',
  requestedBy: string | null
) {
  return enqueueJob({
    kind: 'verify',
    resourceId: snapshot.resourceId,
    destinationId: snapshot.destinationId,
    snapshotId: snapshot.id,
    requestedBy,
    ...(await snapshotTarget(snapshot)),
    payload: { snapshot: snapshot.toRef(), snapshotId: snapshot.id, level },
  })
}
