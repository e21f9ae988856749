import type Docker from 'dockerode'
import { isNotFound } from './client.js'

/** A volume of a resource as a job names it: a named Docker volume or a bind-mounted host path. */
export type ResourceVolume = { type: 'volume'; name: string } | { type: 'bind'; source: string }

/** A container that mounts a volume, and how. */
export interface MountingContainer {
  id: string
  name: string
  running: boolean
  paused: boolean
  /** Path of the mount inside the container. */
  destination: string
  readWrite: boolean
}

/** A volume with its host path and the containers that mount it. */
export interface ResolvedVolume {
  /** The volume's name, or the bind mount's host path: the key of the volume in job results. */
  key: string
  volume: ResourceVolume
  /** Host path of the content: the volume's Mountpoint or the bind mount's source. */
  hostPath: string
  containers: MountingContainer[]
}

/**
 * Finds a volume's host path and every container (running or not) that mounts it. For a bind
 * mount, a container that binds a parent or a child folder of the path counts as well, because it
 * can change the same files. Raises when a named volume does not exist, or when no container
 * mounts a bind source.
 */
export async function resolveVolume(
  docker: Docker,
  volume: ResourceVolume
): Promise<ResolvedVolume> {
  const hostPath = await findHostPath(docker, volume)
  const containers = await docker.listContainers({ all: true })
  const mounting: MountingContainer[] = []

  for (const container of containers) {
    for (const mount of container.Mounts ?? []) {
      if (!mountMatches(volume, mount)) {
        continue
      }

      mounting.push({
        id: container.Id,
        name: (container.Names?.[0] ?? container.Id).replace(/^\//, ''),
        running: container.State === 'running' || container.State === 'paused',
        paused: container.State === 'paused',
        destination: mount.Destination,
        readWrite: mount.RW,
      })
    }
  }

  // A bind source is a host path chosen by the controller. Requiring a container that mounts it
  // keeps a compromised controller from reading or overwriting arbitrary host folders.
  if (volume.type === 'bind' && mounting.length === 0) {
    throw new Error(
      `bind mount source ${hostPath} is not mounted by any container on this host; the agent backs up and restores only bind mounts that a container uses`
    )
  }

  const key = volume.type === 'volume' ? volume.name : volume.source
  return { key, volume, hostPath, containers: mounting }
}

/** Returns the containers that mount the volume read-write, each once. */
export function writers(volume: ResolvedVolume): MountingContainer[] {
  const seen = new Set<string>()
  return volume.containers.filter((container) => {
    if (!container.readWrite || seen.has(container.id)) {
      return false
    }

    seen.add(container.id)
    return true
  })
}

async function findHostPath(docker: Docker, volume: ResourceVolume): Promise<string> {
  if (volume.type === 'bind') {
    if (!volume.source.startsWith('/')) {
      throw new Error(
        `bind mount source "${volume.source}" is not an absolute path; fix the resource's volumes`
      )
    }

    return trimSlash(volume.source)
  }

  try {
    const info = await docker.getVolume(volume.name).inspect()
    return info.Mountpoint
  } catch (error) {
    if (isNotFound(error)) {
      throw new Error(
        `volume "${volume.name}" does not exist on this Docker host; check the resource's volumes`,
        {
          cause: error,
        }
      )
    }

    throw error
  }
}

function mountMatches(
  volume: ResourceVolume,
  mount: { Type: string; Name?: string; Source: string }
): boolean {
  if (volume.type === 'volume') {
    return mount.Type === 'volume' && mount.Name === volume.name
  }

  if (mount.Type !== 'bind') {
    return false
  }

  const source = trimSlash(volume.source)
  const mounted = trimSlash(mount.Source)
  return mounted === source || source.startsWith(mounted + '/') || mounted.startsWith(source + '/')
}

function trimSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path
}
