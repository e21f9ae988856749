import type { HttpContext } from '@adonisjs/core/http'
import Alert from '#models/alert'
import audit from '#services/audit'
import settings from '#services/settings'
import { deliverAlert, recordAlert } from '#services/alerts/raise_alert'
import { BACKUP_SETTING_KEYS, scheduleTimezone } from '#services/schedules/backup_settings'
import { backupSettingsValidator } from '#validators/schedule'

/** Alerts: the list of raised alerts, the backup settings (timezone, webhook) and a test alert. */
export default class AlertsController {
  async index({ view }: HttpContext) {
    const alerts = await Alert.query().orderBy('created_at', 'desc').limit(100)
    return view.render('pages/alerts/index', { alerts })
  }

  async settings({ view }: HttpContext) {
    return view.render('pages/settings_backups/show', {
      timezone: await scheduleTimezone(),
      hasWebhook: await settings.hasSecret(BACKUP_SETTING_KEYS.webhookUrl),
    })
  }

  async updateSettings(ctx: HttpContext) {
    const { request, response, session } = ctx
    const input = await request.validateUsing(backupSettingsValidator)

    await settings.set(BACKUP_SETTING_KEYS.timezone, input.timezone)
    if (input.clearWebhook) {
      await settings.setSecret(BACKUP_SETTING_KEYS.webhookUrl, null)
    } else if (input.webhookUrl) {
      await settings.setSecret(BACKUP_SETTING_KEYS.webhookUrl, input.webhookUrl)
    }
    await audit.record(ctx, 'backup_settings.updated', {
      timezone: input.timezone,
      webhookChanged: Boolean(input.webhookUrl || input.clearWebhook),
    })

    session.flash('success', 'Backup settings saved.')
    return response.redirect().toPath('/settings/backups')
  }

  /** Sends a test alert now, with one attempt, and shows whether the receiver accepted it. */
  async test(ctx: HttpContext) {
    const { response, session } = ctx
    const alert = await recordAlert({
      kind: 'test',
      title: 'Test alert from Coffer',
      message: `Alerts from Coffer reach this webhook. Sent by ${ctx.auth.user?.email ?? 'an admin'}.`,
    })
    if (!alert) {
      return response.redirect().toPath('/settings/backups')
    }
    await deliverAlert(alert, { attempts: 1 })
    await audit.record(ctx, 'alerts.test_sent', { alertId: alert.id, status: alert.status })

    if (alert.status === 'sent') {
      session.flash('success', 'The test alert was delivered.')
    } else {
      session.flash('error', `The test alert was not delivered: ${alert.lastError}`)
    }
    return response.redirect().toPath('/settings/backups')
  }
}
