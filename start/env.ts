/*
 * Validates the environment at boot, so a missing or malformed variable stops the application
 * with a message naming it. Every variable is described in docs/configuration.md.
 */

import { Env } from '@adonisjs/core/env'
import { Secret } from '@adonisjs/core/helpers'
import { masterKeyValidator } from '../app/services/vault_keys.js'

/** Validates a master key variable and wraps it as a Secret, so it is never printed by accident. */
function masterKeySecret(options: { list: boolean }) {
  const validate = masterKeyValidator(options)
  return (name: string, value?: string) => {
    const valid = validate(name, value)
    return valid === undefined ? undefined : new Secret(valid)
  }
}

/** Validates an optional number that must be greater than zero. */
function optionalPositiveNumber(name: string, value?: string) {
  if (value === undefined || value === '') {
    return undefined
  }
  const number = Number(value)
  if (!Number.isFinite(number) || number <= 0) {
    throw new Error(
      `Invalid value for "${name}": "${value}". Set a number greater than 0, or remove the variable to use the default.`
    )
  }
  return number
}

export default await Env.create(new URL('../', import.meta.url), {
  NODE_ENV: Env.schema.enum(['development', 'production', 'test'] as const),
  PORT: Env.schema.number(),
  HOST: Env.schema.string({ format: 'host' }),
  LOG_LEVEL: Env.schema.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const),
  APP_KEY: Env.schema.secret(),
  APP_URL: Env.schema.string.optional({ format: 'url', tld: false }),
  SESSION_DRIVER: Env.schema.enum(['cookie', 'memory'] as const),

  /*
   * Secret vault: base64 of 32 random bytes. When unset, the vault derives its key from APP_KEY.
   * MASTER_KEY_PREVIOUS lists older keys (comma-separated) that still decrypt during a rotation.
   * A malformed value stops the boot with a message saying how to make a key.
   */
  MASTER_KEY: masterKeySecret({ list: false }),
  MASTER_KEY_PREVIOUS: masterKeySecret({ list: true }),

  /*
   * Metadata database: SQLite by default, PostgreSQL with DB_CONNECTION=pg.
   */
  DB_CONNECTION: Env.schema.enum.optional(['sqlite', 'pg'] as const),
  SQLITE_PATH: Env.schema.string.optional(),
  PG_HOST: Env.schema.string.optional(),
  PG_PORT: Env.schema.number.optional(),
  PG_USER: Env.schema.string.optional(),
  PG_PASSWORD: Env.schema.secret.optional(),
  PG_DB_NAME: Env.schema.string.optional(),

  /*
   * Outgoing mail. Values set here override the SMTP settings page and lock its fields.
   */
  SMTP_HOST: Env.schema.string.optional(),
  SMTP_PORT: Env.schema.number.optional(),
  SMTP_SECURE: Env.schema.boolean.optional(),
  SMTP_USERNAME: Env.schema.string.optional(),
  SMTP_PASSWORD: Env.schema.secret.optional(),
  MAIL_FROM_ADDRESS: Env.schema.string.optional(),
  MAIL_FROM_NAME: Env.schema.string.optional(),

  /*
   * Sign-in providers. A provider's button appears when its id and secret are set here or in
   * the panel.
   */
  GITHUB_CLIENT_ID: Env.schema.string.optional(),
  GITHUB_CLIENT_SECRET: Env.schema.secret.optional(),
  GOOGLE_CLIENT_ID: Env.schema.string.optional(),
  GOOGLE_CLIENT_SECRET: Env.schema.secret.optional(),
  GITLAB_CLIENT_ID: Env.schema.string.optional(),
  GITLAB_CLIENT_SECRET: Env.schema.secret.optional(),
  GITLAB_BASE_URL: Env.schema.string.optional({ format: 'url', tld: false }),

  /*
   * Optional overrides of the OAuth endpoints (authorize, token, user info), for GitHub
   * Enterprise, Google-compatible identity servers and the sign-in tests.
   */
  GITHUB_AUTHORIZE_URL: Env.schema.string.optional({ format: 'url', tld: false }),
  GITHUB_ACCESS_TOKEN_URL: Env.schema.string.optional({ format: 'url', tld: false }),
  GITHUB_USER_INFO_URL: Env.schema.string.optional({ format: 'url', tld: false }),
  GITHUB_USER_EMAIL_URL: Env.schema.string.optional({ format: 'url', tld: false }),
  GOOGLE_AUTHORIZE_URL: Env.schema.string.optional({ format: 'url', tld: false }),
  GOOGLE_ACCESS_TOKEN_URL: Env.schema.string.optional({ format: 'url', tld: false }),
  GOOGLE_USER_INFO_URL: Env.schema.string.optional({ format: 'url', tld: false }),

  /*
   * Seconds a job lease lasts without renewal; a stopped agent's jobs fail after it.
   */
  JOB_LEASE_SECONDS: Env.schema.number.optional(),

  /*
   * Hours a download archive in tmp/downloads stays available before the controller deletes it.
   */
  DOWNLOAD_RETENTION_HOURS: optionalPositiveNumber,

  /*
   * Image the agent install script runs.
   */
  COFFER_AGENT_IMAGE: Env.schema.string.optional(),

  LIMITER_STORE: Env.schema.enum.optional(['database', 'memory'] as const),
})
