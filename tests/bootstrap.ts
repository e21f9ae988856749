import { assert } from '@japa/assert'
import app from '@adonisjs/core/services/app'
import type { Config } from '@japa/runner/types'
import { pluginAdonisJS } from '@japa/plugin-adonisjs'
import { apiClient, ApiClient } from '@japa/api-client'
import { sessionApiClient } from '@adonisjs/session/plugins/api_client'
import { authApiClient } from '@adonisjs/auth/plugins/api_client'
import { shieldApiClient } from '@adonisjs/shield/plugins/api_client'
import env from '#start/env'
import testUtils from '@adonisjs/core/services/test_utils'
import { spec } from '@japa/runner/reporters'
import { SummaryFileReporter } from './reporters/summary_file_reporter.js'

/**
 * Stores the signed-in user's session_version in the session of `loginAs(user)` requests,
 * as a real sign-in does, so the session version middleware accepts them.
 */
function sessionVersionApiClient() {
  return () => {
    ApiClient.setup(async (request) => {
      const authData = (request as unknown as { authData?: { args: unknown[] } }).authData
      const user = authData?.args[0] as { sessionVersion?: number } | undefined
      if (user?.sessionVersion !== undefined) {
        request.withSession({ session_version: user.sessionVersion })
      }
    })
  }
}

/**
 * The SMTP test server (scripts/services/smtp.sh) exports SMTP_HOST, SMTP_PORT and
 * SMTP_PASSWORD, which are also the app's variables that override and lock the SMTP settings
 * page. The suites keep the server's values here for the mail tests, then clear every SMTP
 * override (including MAIL_FROM_* from a local .env), so tests configure
 * SMTP through the settings page as an admin would. Tests that check locking set them again.
 */
export const smtpTestServer = {
  host: process.env.SMTP_HOST,
  port: process.env.SMTP_PORT,
  mailboxDir: process.env.SMTP_MAILBOX_DIR,
  password: process.env.SMTP_PASSWORD,
}
for (const name of [
  'SMTP_HOST',
  'SMTP_PORT',
  'SMTP_SECURE',
  'SMTP_USERNAME',
  'SMTP_PASSWORD',
  'MAIL_FROM_ADDRESS',
  'MAIL_FROM_NAME',
]) {
  env.set(name, '')
}

/** Japa plugins shared by every suite. */
export const plugins: Config['plugins'] = [
  assert(),
  apiClient(),
  pluginAdonisJS(app),
  sessionApiClient(app),
  shieldApiClient(),
  authApiClient(app),
  sessionVersionApiClient(),
]

/** The spec reporter for people, plus a JSON totals file for the test script. */
export const reporters: Config['reporters'] = {
  activated: ['spec', 'summary-file'],
  list: [
    spec(),
    {
      name: 'summary-file',
      handler: (...args) => new SummaryFileReporter().boot(...args),
    },
  ],
}

/** Runs once before and after all suites. */
export const runnerHooks: Required<Pick<Config, 'setup' | 'teardown'>> = {
  setup: [() => testUtils.db().migrate()],
  teardown: [],
}

/** Starts the HTTP server for the suites that send requests to it. */
export const configureSuite: Config['configureSuite'] = (suite) => {
  if (['functional', 'e2e'].includes(suite.name)) {
    return suite.setup(() => testUtils.httpServer().start())
  }
}
