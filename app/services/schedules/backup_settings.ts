import settings from '#services/settings'
import { assertTimezone } from '#services/schedules/cron_expression'

/** Setting keys of scheduled backups and alerts. */
export const BACKUP_SETTING_KEYS = {
  timezone: 'backups.timezone',
  /** Secret: webhook URLs of Discord and Slack carry their token in the path. */
  webhookUrl: 'alerts.webhook_url',
} as const

/** The IANA timezone schedules and retention buckets use; UTC until an admin sets one. */
export async function scheduleTimezone() {
  const zone = (await settings.get(BACKUP_SETTING_KEYS.timezone)) ?? 'UTC'
  try {
    assertTimezone(zone)
    return zone
  } catch {
    return 'UTC'
  }
}
