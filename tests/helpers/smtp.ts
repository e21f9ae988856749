import type { ApiClient } from '@japa/api-client'
import type User from '#models/user'
import { smtpServer } from '#tests/helpers/mailbox'

/**
 * Configures SMTP for the test server through the settings page and sends the test email,
 * as an admin would, so that SMTP counts as verified.
 */
export async function configureVerifiedSmtp(client: ApiClient, admin: User) {
  const server = smtpServer()
  const saved = await client
    .put('/settings/smtp')
    .form({
      host: server.host,
      port: String(server.port),
      username: 'coffer',
      password: server.password ?? '',
      fromAddress: 'coffer@example.test',
      fromName: 'Coffer Tests',
    })
    .loginAs(admin)
    .withCsrfToken()
    .redirects(0)
  saved.assertStatus(302)

  const tested = await client
    .post('/settings/smtp/test')
    .form({ to: admin.email })
    .loginAs(admin)
    .withCsrfToken()
    .redirects(0)
  tested.assertStatus(302)
  return tested
}
