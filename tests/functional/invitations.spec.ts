import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { randomUUID } from 'node:crypto'
import testUtils from '@adonisjs/core/services/test_utils'
import env from '#start/env'
import User from '#models/user'
import Invitation from '#models/invitation'
import AuditEvent from '#models/audit_event'
import { hashToken } from '#services/tokens'
import { createUser, resetRateLimits, TEST_PASSWORD } from '#tests/helpers/accounts'
import { linkIn, waitForMessage } from '#tests/helpers/mailbox'
import { configureVerifiedSmtp } from '#tests/helpers/smtp'

/** Creates an invitation through the users page and returns its link token. */
async function invite(
  client: any,
  admin: User,
  email: string,
  role = 'operator',
  sendEmail = false
) {
  const response = await client
    .post('/invitations')
    .form({ email, role, ...(sendEmail ? { sendEmail: 'true' } : {}) })
    .loginAs(admin)
    .withCsrfToken()
    .redirects(0)
  response.assertStatus(302)
  const link = response.flashMessages().invitationLink as string
  return { response, link, token: link.split('/').pop()! }
}

function accept(client: any, token: string, fullName = 'Invited Person') {
  return client
    .post(`/invitations/${token}/accept`)
    .form({ fullName, password: TEST_PASSWORD, passwordConfirmation: TEST_PASSWORD })
    .withCsrfToken()
    .redirects(0)
}

test.group('Invitations', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => resetRateLimits())

  test('link shown once, stored hashed', async ({ client, assert }) => {
    const admin = await createUser('admin')
    const { link, token } = await invite(client, admin, 'New@Example.test')

    assert.isTrue(link.startsWith(`${env.get('APP_URL')}/invitations/`))
    const invitation = await Invitation.findByOrFail('email', 'new@example.test')
    assert.equal(invitation.tokenHash, hashToken(token))
    assert.equal(invitation.role, 'operator')
    assert.isTrue(invitation.expiresAt.diffNow('hours').hours > 47)
    assert.isTrue(invitation.expiresAt.diffNow('hours').hours <= 48)

    const page = await client.get('/users').loginAs(admin)
    assert.notInclude(page.text(), token)
  })

  test('accept creates account with role', async ({ client, assert }) => {
    const admin = await createUser('admin')
    const { token } = await invite(client, admin, 'joiner@example.test', 'operator')

    const form = await client.get(`/invitations/${token}`)
    form.assertStatus(200)
    form.assertTextIncludes('joiner@example.test')

    const response = await accept(client, token, 'Jo Iner')
    response.assertStatus(302)
    response.assertHeader('location', '/')

    const user = await User.findByOrFail('email', 'joiner@example.test')
    assert.equal(user.role, 'operator')
    assert.equal(user.fullName, 'Jo Iner')
    const invitation = await Invitation.findByOrFail('email', 'joiner@example.test')
    assert.isNotNull(invitation.acceptedAt)
    assert.isNotNull(await AuditEvent.findBy('event', 'invitation.accepted'))
  })

  test('bound to the invited email', async ({ client, assert }) => {
    const admin = await createUser('admin')
    const { token } = await invite(client, admin, 'bound@example.test', 'viewer')

    await client
      .post(`/invitations/${token}/accept`)
      .form({
        fullName: 'Someone',
        email: 'other@example.test',
        password: TEST_PASSWORD,
        passwordConfirmation: TEST_PASSWORD,
      })
      .withCsrfToken()

    assert.isNull(await User.findBy('email', 'other@example.test'))
    assert.isNotNull(await User.findBy('email', 'bound@example.test'))
  })

  test('single use', async ({ client }) => {
    const admin = await createUser('admin')
    const { token } = await invite(client, admin, 'once@example.test')
    await accept(client, token)

    const again = await accept(client, token, 'Second Try')

    again.assertStatus(404)
  })

  test('expired invitation rejected', async ({ client, assert }) => {
    const admin = await createUser('admin')
    const { token } = await invite(client, admin, 'late@example.test')
    const invitation = await Invitation.findByOrFail('email', 'late@example.test')
    invitation.expiresAt = DateTime.now().minus({ minutes: 1 })
    await invitation.save()

    const form = await client.get(`/invitations/${token}`)
    form.assertStatus(404)
    const response = await accept(client, token)
    response.assertStatus(404)
    assert.isNull(await User.findBy('email', 'late@example.test'))
  })

  test('revoked invitation rejected', async ({ client, assert }) => {
    const admin = await createUser('admin')
    const { token } = await invite(client, admin, 'revoked@example.test')
    const invitation = await Invitation.findByOrFail('email', 'revoked@example.test')

    const revoked = await client
      .delete(`/invitations/${invitation.id}`)
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
    revoked.assertStatus(302)

    const response = await accept(client, token)
    response.assertStatus(404)
    assert.isNull(await User.findBy('email', 'revoked@example.test'))
    assert.isNotNull(await AuditEvent.findBy('event', 'invitation.revoked'))
  })

  test('existing account cannot be invited', async ({ client, assert }) => {
    const admin = await createUser('admin')
    const member = await createUser('viewer')

    const response = await client
      .post('/invitations')
      .form({ email: member.email, role: 'admin' })
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)

    response.assertFlashMessage('error', `${member.email} already has an account.`)
    assert.lengthOf(await Invitation.all(), 0)
  })

  test('emailed invitation arrives', async ({ client, assert }) => {
    const admin = await createUser('admin')
    await configureVerifiedSmtp(client, admin)

    const email = `mailed-${randomUUID().slice(0, 8)}@example.test`
    const { link } = await invite(client, admin, email, 'viewer', true)

    const message = await waitForMessage(email, 'You are invited to Coffer')
    assert.equal(linkIn(message, `${env.get('APP_URL')}/invitations/`), link)
    const invitation = await Invitation.findByOrFail('email', email)
    assert.isNotNull(invitation.emailedAt)
  })

  test('emailing hidden without SMTP', async ({ client, assert }) => {
    const admin = await createUser('admin')

    const page = await client.get('/users').loginAs(admin)
    page.assertTextIncludes('Emailing invitations is off until the SMTP settings are verified')

    const { response } = await invite(client, admin, 'nomail@example.test', 'viewer', true)
    response.assertFlashMessage(
      'error',
      'The invitation was not emailed: SMTP is not verified yet.'
    )
    const invitation = await Invitation.findByOrFail('email', 'nomail@example.test')
    assert.isNull(invitation.emailedAt)
  })
})
