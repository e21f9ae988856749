import { randomUUID } from 'node:crypto'
import type Destination from '#models/destination'
import type Resource from '#models/resource'
import { volumeLabel, type ResourceVolume } from '#models/resource'
import { enqueueJob } from '#services/jobs/enqueue_job'

/**
 * Queues one backup job per volume of a resource, on an agent of the resource's server. Each
 * job writes one snapshot, whose id is chosen here so the engine can tag its artifacts with it.
 */
export async function startBackup(
  resource: Resource,
  destination: Destination,
  requestedBy: string | null,
  volumes: ResourceVolume[] = resource.volumes
) {
  const jobs = []

  for (const volume of volumes) {
    const snapshotId = randomUUID()
    const job = await enqueueJob({
      snapshotId,
      kind: 'backup',
      resourceId: resource.id,
      destinationId: destination.id,
      serverId: resource.serverId,
      requestedBy,
      payload: {
        snapshotId,
        volumeLabel: volumeLabel(volume),
        tags: {
          'coffer.resource': resource.id,
          'coffer.instance': resource.instanceId,
          'coffer.volume': volumeLabel(volume),
        },
        resource: {
          name: resource.name,
          liveMode: resource.liveMode,
          volumes: [volume],
          hooks: resource.hooks ?? [],
        },
      },
    })
    jobs.push(job)
  }

  return jobs
}
