import logger from '@adonisjs/core/services/logger'
import type Agent from '#models/agent'
import type { Inventory } from '#models/agent'
import Resource, { type ResourceVolume } from '#models/resource'
import { mergeVolumes } from '#services/coolify/coolify_volumes'

type Container = Inventory['containers'][number]

/** Bind sources that are Docker's or the agent's own plumbing, never backed up. */
const IGNORED_BIND_SOURCES = ['/var/run/docker.sock', '/run/docker.sock']

/**
 * Label names that carry Coolify's numeric database ids (not uuids), with the resource kind each
 * id belongs to. Services are checked first: their sub-resources also carry a service id.
 */
const ID_LABELS: { label: string; kind: string }[] = [
  { label: 'coolify.serviceId', kind: 'service' },
  { label: 'coolify.applicationId', kind: 'application' },
  { label: 'coolify.databaseId', kind: 'database' },
]

/** The resource a container belongs to, and which rule matched it. */
export interface ContainerMatch {
  container: string
  resourceId: string
  rule: 'id-label' | 'compose-project' | 'name'
}

/**
 * Finds the Coolify resource of a container: by the numeric id labels, then by the compose
 * project label (the resource uuid), then by the container name (`<uuid>`, `<uuid>-<suffix>` or
 * `<service>-<uuid>`).
 */
export function matchContainer(
  container: Container,
  resources: Resource[]
): { resource: Resource; rule: ContainerMatch['rule'] } | null {
  for (const { label, kind } of ID_LABELS) {
    const value = container.labels[label]
    if (value && /^\d+$/.test(value)) {
      const resource = resources.find(
        (item) => item.kind === kind && item.coolifyId === Number(value)
      )
      if (resource) {
        return { resource, rule: 'id-label' }
      }
    }
  }

  const project = container.labels['com.docker.compose.project']
  if (project) {
    const resource = resources.find((item) => item.externalKey === project)
    if (resource) {
      return { resource, rule: 'compose-project' }
    }
  }

  const name = container.name.replace(/^\//, '')
  const byName = resources.find(
    (item) =>
      name === item.externalKey ||
      name.startsWith(`${item.externalKey}-`) ||
      name.endsWith(`-${item.externalKey}`)
  )
  return byName ? { resource: byName, rule: 'name' } : null
}

/**
 * Maps the containers an agent of a Coolify instance reports to the instance's resources. Adds
 * the volumes and bind mounts found on those containers to each resource, and, unless an admin
 * pinned the agent's server, sets it to the server that owns most of the matched resources.
 */
export async function mapCoolifyContainers(agent: Agent, inventory: Inventory) {
  const resources = await Resource.query()
    .where('instance_id', agent.instanceId)
    .whereNull('missing_at')

  const matches: ContainerMatch[] = []
  const mountsByResource = new Map<string, ResourceVolume[]>()
  const serverVotes = new Map<string, number>()

  for (const container of inventory.containers) {
    const match = matchContainer(container, resources)
    if (!match) {
      continue
    }

    matches.push({ container: container.name, resourceId: match.resource.id, rule: match.rule })
    const mounts = mountsByResource.get(match.resource.id) ?? []
    mounts.push(...volumesOfContainer(container))
    mountsByResource.set(match.resource.id, mounts)

    if (match.resource.serverId) {
      serverVotes.set(match.resource.serverId, (serverVotes.get(match.resource.serverId) ?? 0) + 1)
    }
  }

  const serverId = [...serverVotes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null
  if (serverId && !agent.serverPinned && agent.serverId !== serverId) {
    logger.info({ agentId: agent.id, serverId }, 'agent assigned to the server of its containers')
    agent.serverId = serverId
    await agent.save()
  }

  for (const resource of resources) {
    const found = mountsByResource.get(resource.id)
    if (!found) {
      continue
    }
    const merged = mergeVolumes(resource.volumes, found)
    if (merged.length !== resource.volumes.length) {
      resource.volumes = merged
      await resource.save()
    }
  }

  return matches
}

function volumesOfContainer(container: Container): ResourceVolume[] {
  const volumes: ResourceVolume[] = []
  for (const mount of container.mounts) {
    if (mount.type === 'volume' && mount.name) {
      volumes.push({ type: 'volume', name: mount.name, mountPath: mount.destination })
    }
    if (mount.type === 'bind' && mount.source && !IGNORED_BIND_SOURCES.includes(mount.source)) {
      volumes.push({ type: 'bind', source: mount.source, mountPath: mount.destination })
    }
  }
  return volumes
}
