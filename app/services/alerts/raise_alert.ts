import { randomUUID } from 'node:crypto'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import env from '#start/env'
import Alert, { type AlertKind } from '#models/alert'
import Instance from '#models/instance'
import Resource from '#models/resource'
import Server from '#models/server'
import settings from '#services/settings'
import { postWebhook } from '#services/alerts/post_webhook'
import { BACKUP_SETTING_KEYS } from '#services/schedules/backup_settings'
import { toDbTime } from '#services/db_time'

/** An alert to record and send. */
export interface AlertInput {
  kind: AlertKind
  /** When set, the alert is raised once per key until the key is cleared. */
  dedupeKey?: string | null
  title: string
  message: string
  instanceId?: string | null
  resourceId?: string | null
  jobId?: string | null
  snapshotId?: string | null
  scheduleId?: string | null
}

/** Discord rejects a `content` longer than 2000 characters. */
const MAX_CONTENT_LENGTH = 2000

const pendingDeliveries = new Set<Promise<void>>()

/**
 * Records an alert and sends it to the webhook in the background. Returns null when an alert
 * with the same dedupe key was already raised.
 */
export async function raiseAlert(input: AlertInput) {
  const alert = await recordAlert(input)
  if (!alert) {
    return null
  }

  const delivery = deliverAlert(alert).catch((error) => {
    logger.error({ alertId: alert.id, err: error }, 'alert delivery crashed')
  })
  pendingDeliveries.add(delivery)
  void delivery.finally(() => pendingDeliveries.delete(delivery))
  return alert
}

/** Waits until every background delivery has ended; for tests and shutdown. */
export async function settleAlertDeliveries() {
  while (pendingDeliveries.size > 0) {
    await Promise.all([...pendingDeliveries])
  }
}

/** Clears a dedupe key, so the same condition alerts again when it comes back. */
export async function clearAlertKey(dedupeKey: string) {
  await Alert.query().where('dedupe_key', dedupeKey).update({ dedupeKey: null })
}

/**
 * Sends an alert to the configured webhook and stores the outcome. Without a webhook the alert
 * is kept as `skipped`, visible on the alerts page.
 */
export async function deliverAlert(alert: Alert, options: { attempts?: number } = {}) {
  const url = await settings.getSecret(BACKUP_SETTING_KEYS.webhookUrl)
  if (!url) {
    alert.merge({ status: 'skipped', lastError: 'No webhook URL is set (Settings, Backups).' })
    await alert.save()
    return
  }

  const body = await buildAlertBody(alert)
  const outcome = await postWebhook(url, body, options)
  alert.merge({
    status: outcome.ok ? 'sent' : 'failed',
    attempts: outcome.attempts,
    lastError: outcome.ok ? null : (outcome.error ?? 'The webhook failed.'),
    sentAt: outcome.ok ? DateTime.now() : null,
  })
  await alert.save()

  if (!outcome.ok) {
    logger.error(
      { alertId: alert.id, kind: alert.kind, error: outcome.error },
      'alert not delivered'
    )
  }
}

/**
 * Builds the webhook body: `content` (Discord) and `text` (Slack and most custom receivers)
 * carry the same readable message, and `coffer` carries the structured fields.
 */
export async function buildAlertBody(alert: Alert) {
  const instance = alert.instanceId ? await Instance.find(alert.instanceId) : null
  const resource = alert.resourceId ? await Resource.find(alert.resourceId) : null
  const server = resource?.serverId ? await Server.find(resource.serverId) : null
  const baseUrl = (env.get('APP_URL') ?? 'http://localhost:3333').replace(/\/+$/, '')

  const jobUrl = alert.jobId ? `${baseUrl}/jobs/${alert.jobId}` : null
  const snapshotUrl = alert.snapshotId ? `${baseUrl}/snapshots/${alert.snapshotId}` : null
  const link = snapshotUrl ?? jobUrl ?? (resource ? `${baseUrl}/resources/${resource.id}` : baseUrl)

  const lines = [`**${alert.title}**`, alert.message]
  const where = [
    resource ? `Resource: ${resource.name}` : null,
    server ? `Server: ${server.name}` : null,
    instance ? `Instance: ${instance.name}` : null,
  ].filter(Boolean)
  if (where.length > 0) {
    lines.push(where.join(' · '))
  }
  lines.push(link)

  const text = truncate(lines.join('\n'), MAX_CONTENT_LENGTH)
  return {
    content: text,
    text,
    username: 'Coffer',
    coffer: {
      alertId: alert.id,
      event: alert.kind,
      title: alert.title,
      message: alert.message,
      instance: instance ? { id: instance.id, name: instance.name } : null,
      resource: resource ? { id: resource.id, name: resource.name, kind: resource.kind } : null,
      server: server ? { id: server.id, name: server.name } : null,
      job: alert.jobId ? { id: alert.jobId, url: jobUrl } : null,
      snapshot: alert.snapshotId ? { id: alert.snapshotId, url: snapshotUrl } : null,
      scheduleId: alert.scheduleId,
      url: link,
      occurredAt: alert.createdAt.toUTC().toISO(),
    },
  }
}

/**
 * Inserts the alert row without sending it. With a dedupe key, the insert is skipped on
 * conflict, so only one of several controllers (or repeated sweeps) records it; it then returns
 * null.
 */
export async function recordAlert(input: AlertInput) {
  const id = randomUUID()
  const now = DateTime.now()
  const row = {
    id,
    kind: input.kind,
    dedupe_key: input.dedupeKey ?? null,
    title: input.title.slice(0, 255),
    message: input.message,
    instance_id: input.instanceId ?? null,
    resource_id: input.resourceId ?? null,
    job_id: input.jobId ?? null,
    snapshot_id: input.snapshotId ?? null,
    schedule_id: input.scheduleId ?? null,
    status: 'pending',
    attempts: 0,
    created_at: toDbTime(now),
    updated_at: toDbTime(now),
  }

  if (input.dedupeKey) {
    await db.knexQuery().table('alerts').insert(row).onConflict('dedupe_key').ignore()
  } else {
    await db.knexQuery().table('alerts').insert(row)
  }
  return (await Alert.find(id)) ?? null
}

function truncate(text: string, length: number) {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`
}
