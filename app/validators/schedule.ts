import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import { CronError, assertTimezone, parseCron } from '#services/schedules/cron_expression'
import { parseWebhookUrl } from '#services/alerts/post_webhook'

/** Reports the parser's own message, so the form and the scheduler agree on what is valid. */
function reportFrom(check: (value: string) => void) {
  return vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
    if (typeof value !== 'string') {
      return
    }
    try {
      check(value)
    } catch (error) {
      field.report((error as Error).message, 'custom', field)
    }
  })
}

const cronRule = reportFrom((value) => {
  parseCron(value)
})

const timezoneRule = reportFrom((value) => {
  try {
    assertTimezone(value)
  } catch (error) {
    throw error instanceof CronError ? error : new Error(String(error))
  }
})

const webhookRule = reportFrom((value) => {
  parseWebhookUrl(value)
})

const keepCount = () => vine.number().withoutDecimals().min(0).max(1000)

/** The schedule form. */
export const scheduleValidator = vine.create({
  name: vine.string().trim().minLength(1).maxLength(120),
  scopeType: vine.enum(['resource', 'server', 'instance']),
  scopeId: vine.string().trim().uuid(),
  destinationId: vine.string().trim().uuid(),
  cron: vine.string().trim().maxLength(255).use(cronRule()),
  mode: vine.enum(['versioned', 'sync']),
  daily: keepCount(),
  weekly: keepCount(),
  monthly: keepCount(),
  yearly: keepCount(),
})

/** The backup settings form: timezone and alert webhook. */
export const backupSettingsValidator = vine.create({
  timezone: vine.string().trim().maxLength(64).use(timezoneRule()),
  webhookUrl: vine.string().trim().maxLength(2048).use(webhookRule()).optional(),
  clearWebhook: vine.boolean().optional(),
})

/** The Coolify connect form. */
export const coolifyConnectValidator = vine.create({
  coolifyUrl: vine
    .string()
    .trim()
    .url({ require_tld: false, protocols: ['http', 'https'] })
    .maxLength(2048),
  coolifyToken: vine.string().trim().minLength(1).maxLength(4096).optional(),
})
