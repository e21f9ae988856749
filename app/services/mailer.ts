/*
 * Outgoing mail over SMTP. The SMTP settings page stores host, port, implicit TLS, user,
 * password and sender in the settings table (the password through the vault). Variables
 * SMTP_HOST, SMTP_PORT, SMTP_SECURE, SMTP_USERNAME, SMTP_PASSWORD, MAIL_FROM_ADDRESS and
 * MAIL_FROM_NAME override those values and lock the matching fields on the page.
 */

import { createHash } from 'node:crypto'
import env from '#start/env'
import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import { Mailer } from '@adonisjs/mail'
import { SMTPTransport } from '@adonisjs/mail/transports/smtp'
import settings from '#services/settings'
import { secretFromEnv } from '#services/env_secret'

/** Fields of the SMTP settings page. */
export const SMTP_FIELDS = [
  'host',
  'port',
  'secure',
  'username',
  'password',
  'fromAddress',
  'fromName',
] as const

export type SmtpField = (typeof SMTP_FIELDS)[number]

/** Setting keys of the SMTP fields. */
export const SMTP_SETTING_KEYS: Record<SmtpField, string> = {
  host: 'smtp.host',
  port: 'smtp.port',
  secure: 'smtp.secure',
  username: 'smtp.username',
  password: 'smtp.password',
  fromAddress: 'smtp.from_address',
  fromName: 'smtp.from_name',
}

/** Setting key holding the fingerprint of the configuration that last delivered a test email. */
const VERIFIED_KEY = 'smtp.verified_fingerprint'

/** The effective SMTP configuration. `password` never leaves the server. */
export interface SmtpConfig {
  host: string | null
  port: number | null
  secure: boolean
  username: string | null
  password: string | null
  fromAddress: string | null
  fromName: string | null
}

/** A message to send: plain text, with an optional HTML body. */
export interface OutgoingMail {
  to: string
  subject: string
  text: string
  html?: string
}

/** Reads the SMTP overrides from the environment; empty values count as unset. */
function environmentOverrides(): Partial<SmtpConfig> {
  const overrides: Partial<SmtpConfig> = {}
  const host = env.get('SMTP_HOST')
  const port = env.get('SMTP_PORT')
  const secure = env.get('SMTP_SECURE')
  const username = env.get('SMTP_USERNAME')
  const password = secretFromEnv('SMTP_PASSWORD')
  const fromAddress = env.get('MAIL_FROM_ADDRESS')
  const fromName = env.get('MAIL_FROM_NAME')

  if (host) overrides.host = host
  if (port) overrides.port = Number(port)
  if (secure !== undefined && String(secure) !== '') overrides.secure = Boolean(secure)
  if (username) overrides.username = username
  if (password) overrides.password = password
  if (fromAddress) overrides.fromAddress = fromAddress
  if (fromName) overrides.fromName = fromName

  return overrides
}

/** Computes a fingerprint of a configuration, so editing any field clears the verified state. */
function fingerprintOf(config: SmtpConfig) {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex')
}

/** SMTP configuration, test emails and sending. */
const mailer = {
  /** Returns the fields that the environment sets, which the settings page shows as locked. */
  lockedFields(): SmtpField[] {
    return Object.keys(environmentOverrides()) as SmtpField[]
  },

  /** Returns the effective configuration: environment values over the settings page. */
  async config(): Promise<SmtpConfig> {
    const stored = await settings.getMany([
      SMTP_SETTING_KEYS.host,
      SMTP_SETTING_KEYS.port,
      SMTP_SETTING_KEYS.secure,
      SMTP_SETTING_KEYS.username,
      SMTP_SETTING_KEYS.fromAddress,
      SMTP_SETTING_KEYS.fromName,
    ])

    const fromPage: SmtpConfig = {
      host: stored[SMTP_SETTING_KEYS.host],
      port: stored[SMTP_SETTING_KEYS.port] ? Number(stored[SMTP_SETTING_KEYS.port]) : null,
      secure: stored[SMTP_SETTING_KEYS.secure] === 'true',
      username: stored[SMTP_SETTING_KEYS.username],
      password: await settings.getSecret(SMTP_SETTING_KEYS.password),
      fromAddress: stored[SMTP_SETTING_KEYS.fromAddress],
      fromName: stored[SMTP_SETTING_KEYS.fromName],
    }

    return { ...fromPage, ...environmentOverrides() }
  },

  /** Returns whether host, port and sender address are all set. */
  async isConfigured() {
    const config = await this.config()
    return Boolean(config.host && config.port && config.fromAddress)
  },

  /** Returns whether the current configuration delivered a test email. */
  async isVerified() {
    const config = await this.config()
    if (!config.host || !config.port || !config.fromAddress) {
      return false
    }
    return (await settings.get(VERIFIED_KEY)) === fingerprintOf(config)
  },

  /** Forgets the verified state, after the settings page changed the configuration. */
  async clearVerified() {
    await settings.set(VERIFIED_KEY, null)
  },

  /**
   * Sends a message with the current configuration. Throws when SMTP is not configured or
   * the server rejected the recipient.
   */
  async send(mail: OutgoingMail) {
    const config = await this.config()
    if (!config.host || !config.port || !config.fromAddress) {
      throw new Error(
        'SMTP is not configured: set host, port and sender address on the SMTP settings page.'
      )
    }

    const transport = new SMTPTransport({
      host: config.host,
      port: config.port,
      secure: config.secure,
      auth: config.username
        ? { type: 'login', user: config.username, pass: config.password ?? '' }
        : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
    })
    const smtp = new Mailer('smtp', transport, emitter as any, {
      from: { address: config.fromAddress, name: config.fromName ?? 'Coffer' },
    })

    try {
      const response = await smtp.send((message) => {
        message.to(mail.to).subject(mail.subject).text(mail.text)
        if (mail.html) {
          message.html(mail.html)
        }
      })

      const accepted = (response.original?.accepted ?? []).map(String)
      if (!accepted.some((address) => address.toLowerCase() === mail.to.toLowerCase())) {
        throw new Error(`The SMTP server ${config.host}:${config.port} did not accept ${mail.to}.`)
      }

      logger.info({ to: mail.to, subject: mail.subject }, 'email sent')
      return { fingerprint: fingerprintOf(config) }
    } finally {
      await smtp.close()
    }
  },

  /**
   * Sends a test email and marks the configuration verified only when the server accepted it.
   * Returns the error message when sending failed.
   */
  async sendTest(to: string): Promise<{ ok: true } | { ok: false; error: string }> {
    try {
      const { fingerprint } = await this.send({
        to,
        subject: 'Coffer test email',
        text: 'This test email shows that Coffer can send mail with its SMTP settings.',
      })
      await settings.set(VERIFIED_KEY, fingerprint)
      return { ok: true }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      logger.warn({ err: message, to }, 'test email failed')
      await settings.set(VERIFIED_KEY, null)
      return { ok: false, error: message }
    }
  },
}

export default mailer
