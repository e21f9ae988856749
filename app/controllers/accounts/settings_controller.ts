import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import audit from '#services/audit'
import settings from '#services/settings'
import mailer, { SMTP_SETTING_KEYS, type SmtpField } from '#services/mailer'
import {
  OAUTH_LABELS,
  OAUTH_PROVIDERS,
  isOauthProvider,
  oauthProviderConfig,
  oauthSettingKeys,
} from '#services/oauth_providers'
import {
  oauthSettingsValidator,
  smtpSettingsValidator,
  smtpTestValidator,
} from '#validators/settings_validators'

/** The settings page: SMTP and sign-in providers. Secret fields are write-only. Admins only. */
export default class SettingsController {
  /** Shows SMTP and OAuth settings; secrets appear only as "set" or "not set". */
  async show({ view, bouncer }: HttpContext) {
    await bouncer.authorize('administer')

    const smtp = await mailer.config()
    const locked = mailer.lockedFields()
    const providers = []
    for (const name of OAUTH_PROVIDERS) {
      const config = await oauthProviderConfig(name)
      providers.push({
        name,
        label: OAUTH_LABELS[name],
        clientId: config.clientId,
        hasSecret: Boolean(config.clientSecret),
        baseUrl: config.baseUrl,
        idFromEnv: config.idFromEnv,
        secretFromEnv: config.secretFromEnv,
        baseUrlFromEnv: config.baseUrlFromEnv,
        enabled: Boolean(config.clientId && config.clientSecret),
      })
    }

    return view.render('pages/settings/show', {
      smtp: {
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        username: smtp.username,
        hasPassword: Boolean(smtp.password),
        fromAddress: smtp.fromAddress,
        fromName: smtp.fromName,
      },
      locked: Object.fromEntries(locked.map((field) => [field, true])),
      smtpVerified: await mailer.isVerified(),
      providers,
    })
  }

  /** Saves the SMTP fields that the environment does not lock, and clears the verified state. */
  async updateSmtp(ctx: HttpContext) {
    const { request, response, session, bouncer } = ctx
    await bouncer.authorize('administer')
    const input = await request.validateUsing(smtpSettingsValidator)
    const locked = new Set<SmtpField>(mailer.lockedFields())

    const plain: Array<[SmtpField, string | null]> = [
      ['host', input.host ?? null],
      ['port', input.port ? String(input.port) : null],
      ['secure', input.secure ? 'true' : 'false'],
      ['username', input.username ?? null],
      ['fromAddress', input.fromAddress ?? null],
      ['fromName', input.fromName ?? null],
    ]
    const changed: string[] = []

    await db.transaction(async (trx) => {
      for (const [field, value] of plain) {
        if (locked.has(field)) continue
        await settings.set(SMTP_SETTING_KEYS[field], value, trx)
        changed.push(field)
      }
      if (!locked.has('password')) {
        if (input.clearPassword) {
          await settings.setSecret(SMTP_SETTING_KEYS.password, null, trx)
          changed.push('password')
        } else if (input.password) {
          await settings.setSecret(SMTP_SETTING_KEYS.password, input.password, trx)
          changed.push('password')
        }
      }
    })
    await mailer.clearVerified()
    await audit.record(ctx, 'settings.changed', { section: 'smtp', fields: changed })

    session.flash('success', 'SMTP settings saved. Send a test email to verify them.')
    return response.redirect('/settings')
  }

  /** Sends a test email; SMTP counts as verified only when the server accepted it. */
  async testSmtp(ctx: HttpContext) {
    const { request, response, session, bouncer } = ctx
    await bouncer.authorize('administer')
    const { to } = await request.validateUsing(smtpTestValidator)

    const result = await mailer.sendTest(to)
    await audit.record(ctx, 'settings.changed', { section: 'smtp', action: 'test', ok: result.ok })
    if (result.ok) {
      session.flash('success', `The test email to ${to} was accepted. SMTP is verified.`)
    } else {
      session.flash('error', `The test email failed: ${result.error}`)
    }
    return response.redirect('/settings')
  }

  /** Saves a provider's client id, secret and (GitLab) base URL, unless the environment sets them. */
  async updateOauth(ctx: HttpContext) {
    const { params, request, response, session, bouncer } = ctx
    await bouncer.authorize('administer')
    if (!isOauthProvider(params.provider)) {
      session.flash(
        'error',
        `Unknown sign-in provider "${params.provider}". Use github, google or gitlab.`
      )
      return response.redirect('/settings')
    }

    const provider = params.provider
    const input = await request.validateUsing(oauthSettingsValidator)
    const current = await oauthProviderConfig(provider)
    const keys = oauthSettingKeys(provider)
    const changed: string[] = []

    await db.transaction(async (trx) => {
      if (!current.idFromEnv) {
        await settings.set(keys.clientId, input.clientId ?? null, trx)
        changed.push('clientId')
      }
      if (!current.secretFromEnv) {
        if (input.clearSecret) {
          await settings.setSecret(keys.clientSecret, null, trx)
          changed.push('clientSecret')
        } else if (input.clientSecret) {
          await settings.setSecret(keys.clientSecret, input.clientSecret, trx)
          changed.push('clientSecret')
        }
      }
      if (provider === 'gitlab' && !current.baseUrlFromEnv) {
        await settings.set(keys.baseUrl, input.baseUrl ?? null, trx)
        changed.push('baseUrl')
      }
    })
    await audit.record(ctx, 'settings.changed', { section: `oauth.${provider}`, fields: changed })

    session.flash('success', `${OAUTH_LABELS[provider]} sign-in settings saved.`)
    return response.redirect('/settings')
  }
}
