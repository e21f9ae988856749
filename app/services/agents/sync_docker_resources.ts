import { DateTime } from 'luxon'
import type { Inventory } from '#models/agent'
import Resource, { type ResourceVolume } from '#models/resource'

/**
 * Bind sources that are the agent's own plumbing, never backed up: the Docker socket, and the
 * volume store the install script mounts into the agent container.
 */
const IGNORED_BIND_SOURCES = ['/var/run/docker.sock', '/run/docker.sock', '/var/lib/docker/volumes']

/**
 * Makes the resources of a plain Docker host match what its agent reports: one resource per
 * named volume and per bind-mounted host folder. A resource that disappeared is marked missing,
 * never deleted, so its snapshots keep their history.
 */
export async function syncDockerResources(
  instanceId: string,
  serverId: string,
  inventory: Inventory
) {
  const seen = new Map<string, { name: string; kind: 'volume' | 'bind'; volume: ResourceVolume }>()

  for (const volume of inventory.volumes) {
    seen.set(`volume:${serverId}:${volume.name}`, {
      name: volume.name,
      kind: 'volume',
      volume: { type: 'volume', name: volume.name },
    })
  }

  for (const container of inventory.containers) {
    for (const mount of container.mounts) {
      if (mount.type !== 'bind' || !mount.source || IGNORED_BIND_SOURCES.includes(mount.source)) {
        continue
      }
      seen.set(`bind:${serverId}:${mount.source}`, {
        name: mount.source,
        kind: 'bind',
        volume: { type: 'bind', source: mount.source, mountPath: mount.destination },
      })
    }
  }

  const existing = await Resource.query()
    .where('instance_id', instanceId)
    .where('server_id', serverId)

  const byKey = new Map(existing.map((resource) => [resource.externalKey, resource]))

  for (const [key, found] of seen) {
    const resource = byKey.get(key)
    if (!resource) {
      await Resource.create({
        instanceId,
        serverId,
        name: found.name,
        kind: found.kind,
        externalKey: key,
        volumes: [found.volume],
        backupEnabled: false,
        liveMode: false,
        hooks: null,
      })
      continue
    }

    if (resource.missingAt) {
      resource.missingAt = null
      await resource.save()
    }
  }

  for (const resource of existing) {
    if (!seen.has(resource.externalKey) && !resource.missingAt) {
      resource.missingAt = DateTime.now()
      await resource.save()
    }
  }
}
