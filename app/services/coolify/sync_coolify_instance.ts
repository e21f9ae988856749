import logger from '@adonisjs/core/services/logger'
import { DateTime } from 'luxon'
import type Instance from '#models/instance'
import Resource from '#models/resource'
import Server from '#models/server'
import { CoolifyClient, type CoolifyResourceSummary } from '#services/coolify/coolify_client'
import { CoolifyError, compareCoolifyVersions } from '#services/coolify/coolify_error'
import {
  apiKindOf,
  defaultDatabaseVolumes,
  mergeVolumes,
  resourceKindOf,
  volumesFromStorages,
} from '#services/coolify/coolify_volumes'
import { COOLIFY_FEATURES } from '#services/coolify/coolify_client'
import { readCoolifyToken } from '#services/instances/coolify_token'

/** What a sync found. */
export interface CoolifySyncReport {
  version: string
  servers: number
  resources: number
  markedMissing: number
  warnings: string[]
}

/**
 * Reads the servers and resources of a Coolify instance and stores them: type, server, status
 * and volumes (named and bind mounts). Servers and resources that disappeared are marked missing,
 * never deleted, so their snapshots keep their history. Records the outcome on the instance, and
 * raises a CoolifyError when the API fails.
 */
export async function syncCoolifyInstance(instance: Instance): Promise<CoolifySyncReport> {
  try {
    const report = await runSync(instance)
    instance.merge({
      coolifyVersion: report.version,
      coolifySyncedAt: DateTime.now(),
      coolifySyncError: report.warnings.length > 0 ? report.warnings.join(' ') : null,
    })
    await instance.save()
    logger.info({ instanceId: instance.id, ...report }, 'coolify sync finished')
    return report
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    instance.coolifySyncError = message
    await instance.save()
    logger.error({ instanceId: instance.id, err: error }, 'coolify sync failed')
    throw error
  }
}

/** Builds the API client of an instance from its URL and vault-stored token. */
export function clientOf(instance: Instance) {
  const token = readCoolifyToken(instance)
  if (instance.kind !== 'coolify' || !instance.coolifyUrl || !token) {
    throw new CoolifyError(
      'COOLIFY_INVALID_TOKEN',
      `Instance ${instance.name} has no Coolify URL or API token. Connect it on the instance page.`
    )
  }
  return new CoolifyClient(instance.coolifyUrl, token)
}

async function runSync(instance: Instance): Promise<CoolifySyncReport> {
  const client = clientOf(instance)
  const warnings: string[] = []

  const version = await client.version()
  const canListStorages = compareCoolifyVersions(version, COOLIFY_FEATURES.storages.minVersion) >= 0
  if (!canListStorages) {
    warnings.push(
      `Coolify ${version} cannot list storages (needs ${COOLIFY_FEATURES.storages.minVersion} or newer), so volumes of applications and services come only from what agents report. Upgrade Coolify to list them.`
    )
  }

  const servers = await client.servers()
  const serverIds = await upsertServers(instance, servers)

  const seen = new Set<string>()
  let resourceCount = 0
  for (const server of servers) {
    const summaries = await client.serverResources(server.uuid)
    for (const summary of summaries) {
      seen.add(summary.uuid)
      const volumes = await volumesOf(client, summary, canListStorages)
      await upsertResource(instance, serverIds.get(server.uuid) ?? null, summary, volumes)
      resourceCount++
    }
  }

  const markedMissing = await markMissingResources(instance, seen)
  return { version, servers: servers.length, resources: resourceCount, markedMissing, warnings }
}

async function upsertServers(
  instance: Instance,
  servers: { uuid: string; name: string; ip?: string | null }[]
) {
  const existing = await Server.query().where('instance_id', instance.id)
  const byUuid = new Map(existing.map((server) => [server.coolifyUuid, server]))
  const ids = new Map<string, string>()

  for (const found of servers) {
    const server = byUuid.get(found.uuid) ?? new Server()
    server.merge({
      instanceId: instance.id,
      coolifyUuid: found.uuid,
      name: found.name,
      ip: found.ip ?? null,
      missingAt: null,
    })
    await server.save()
    ids.set(found.uuid, server.id)
  }

  const listed = new Set(servers.map((server) => server.uuid))
  for (const server of existing) {
    if (server.coolifyUuid && !listed.has(server.coolifyUuid) && !server.missingAt) {
      server.missingAt = DateTime.now()
      await server.save()
    }
  }
  return ids
}

async function volumesOf(
  client: CoolifyClient,
  summary: CoolifyResourceSummary,
  canListStorages: boolean
) {
  const defaults = defaultDatabaseVolumes(summary.type, summary.uuid)
  if (!canListStorages) {
    return defaults
  }
  const storages = await client.storages(apiKindOf(summary.type), summary.uuid)
  return mergeVolumes(volumesFromStorages(storages), defaults)
}

async function upsertResource(
  instance: Instance,
  serverId: string | null,
  summary: CoolifyResourceSummary,
  apiVolumes: ReturnType<typeof mergeVolumes>
) {
  const resource =
    (await Resource.query()
      .where('instance_id', instance.id)
      .where('external_key', summary.uuid)
      .first()) ?? new Resource()

  const isNew = !resource.$isPersisted
  resource.merge({
    instanceId: instance.id,
    serverId,
    name: summary.name,
    kind: resourceKindOf(summary.type),
    coolifyType: summary.type,
    externalKey: summary.uuid,
    coolifyId: summary.id,
    status: summary.status ?? null,
    // Volumes found on containers by agents stay; the API's are added to them.
    volumes: mergeVolumes(apiVolumes, isNew ? [] : resource.volumes),
    missingAt: null,
  })
  if (isNew) {
    resource.merge({ backupEnabled: false, liveMode: false, hooks: null })
  }
  await resource.save()
}

async function markMissingResources(instance: Instance, seen: Set<string>) {
  const resources = await Resource.query().where('instance_id', instance.id).whereNull('missing_at')
  let marked = 0
  for (const resource of resources) {
    if (!seen.has(resource.externalKey)) {
      resource.missingAt = DateTime.now()
      await resource.save()
      marked++
    }
  }
  return marked
}
