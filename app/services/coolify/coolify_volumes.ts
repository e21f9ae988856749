import type { ResourceVolume } from '#models/resource'
import type { CoolifyPersistentStorage } from '#services/coolify/coolify_client'

/**
 * Data volumes Coolify creates for each standalone database engine, named `<prefix>-<db uuid>`,
 * with their mount path in the container.
 */
const DATABASE_VOLUMES: Record<string, { prefix: string; mountPath: string }[]> = {
  'standalone-postgresql': [{ prefix: 'postgres-data', mountPath: '/var/lib/postgresql/data' }],
  'standalone-mysql': [{ prefix: 'mysql-data', mountPath: '/var/lib/mysql' }],
  'standalone-mariadb': [{ prefix: 'mariadb-data', mountPath: '/var/lib/mysql' }],
  'standalone-mongodb': [
    { prefix: 'mongodb-configdb', mountPath: '/data/configdb' },
    { prefix: 'mongodb-db', mountPath: '/data/db' },
  ],
  'standalone-redis': [{ prefix: 'redis-data', mountPath: '/data' }],
  'standalone-keydb': [{ prefix: 'keydb-data', mountPath: '/data' }],
  'standalone-dragonfly': [{ prefix: 'dragonfly-data', mountPath: '/data' }],
  'standalone-clickhouse': [{ prefix: 'clickhouse-data', mountPath: '/var/lib/clickhouse' }],
}

/** The Coffer kind of a Coolify resource type. */
export function resourceKindOf(coolifyType: string) {
  if (coolifyType.startsWith('standalone-')) {
    return 'database'
  }
  return coolifyType === 'service' ? 'service' : 'application'
}

/** Returns the API path segment that serves a Coolify resource type. */
export function apiKindOf(coolifyType: string) {
  const kind = resourceKindOf(coolifyType)
  if (kind === 'database') {
    return 'databases'
  }
  if (kind === 'service') {
    return 'services'
  }
  return 'applications'
}

/** The data volumes Coolify names after a standalone database's uuid. */
export function defaultDatabaseVolumes(coolifyType: string, uuid: string): ResourceVolume[] {
  return (DATABASE_VOLUMES[coolifyType] ?? []).map((entry) => ({
    type: 'volume',
    name: `${entry.prefix}-${uuid}`,
    mountPath: entry.mountPath,
  }))
}

/**
 * Turns persistent storages into volumes: a storage with a host path is a bind mount, the others
 * are named Docker volumes.
 */
export function volumesFromStorages(storages: CoolifyPersistentStorage[]): ResourceVolume[] {
  return storages.map((storage) =>
    storage.host_path
      ? { type: 'bind', source: storage.host_path, mountPath: storage.mount_path }
      : { type: 'volume', name: storage.name, mountPath: storage.mount_path }
  )
}

/** Merges volume lists, keeping the first entry of each volume name or bind source. */
export function mergeVolumes(...lists: ResourceVolume[][]): ResourceVolume[] {
  const merged = new Map<string, ResourceVolume>()
  for (const volume of lists.flat()) {
    const key = volume.type === 'volume' ? `volume:${volume.name}` : `bind:${volume.source}`
    if (!merged.has(key)) {
      merged.set(key, volume)
    }
  }
  return [...merged.values()]
}
