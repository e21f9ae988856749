import type Docker from 'dockerode'

/** A mount of a container, as the heartbeat reports it. */
export interface InventoryMount {
  type: string
  name?: string
  source: string
  destination: string
  readWrite: boolean
}

/** A container of the host, as the heartbeat reports it. */
export interface InventoryContainer {
  id: string
  name: string
  image: string
  state: string
  labels: Record<string, string>
  mounts: InventoryMount[]
}

/** A volume of the host, as the heartbeat reports it. */
export interface InventoryVolume {
  name: string
  driver: string
  mountpoint: string
  labels: Record<string, string>
}

/** The host's containers and volumes. */
export interface Inventory {
  containers: InventoryContainer[]
  volumes: InventoryVolume[]
}

/** Lists every container (running or not) and volume of the Docker host with its labels. */
export async function collectInventory(docker: Docker): Promise<Inventory> {
  const [containers, volumes] = await Promise.all([
    docker.listContainers({ all: true }),
    docker.listVolumes(),
  ])

  return {
    containers: containers.map((container) => ({
      id: container.Id,
      name: (container.Names?.[0] ?? container.Id).replace(/^\//, ''),
      image: container.Image,
      state: container.State,
      labels: container.Labels ?? {},
      mounts: (container.Mounts ?? []).map((mount) => {
        const entry: InventoryMount = {
          type: mount.Type,
          source: mount.Source,
          destination: mount.Destination,
          readWrite: mount.RW,
        }
        if (mount.Name) {
          entry.name = mount.Name
        }
        return entry
      }),
    })),
    volumes: (volumes.Volumes ?? []).map((volume) => ({
      name: volume.Name,
      driver: volume.Driver,
      mountpoint: volume.Mountpoint,
      labels: volume.Labels ?? {},
    })),
  }
}

/** Returns the Docker daemon's version, such as `26.1.5`. */
export async function dockerVersion(docker: Docker): Promise<string> {
  const info = await docker.version()
  return info.Version
}
