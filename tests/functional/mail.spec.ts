import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { randomUUID } from 'node:crypto'
import testUtils from '@adonisjs/core/services/test_utils'
import env from '#start/env'
import Setting from '#models/setting'
import UserToken from '#models/user_token'
import mailer from '#services/mailer'
import { hashToken } from '#services/tokens'
import { createUser, resetRateLimits, TEST_PASSWORD } from '#tests/helpers/accounts'
import { linkIn, smtpServer, waitForMessage } from '#tests/helpers/mailbox'
import { configureVerifiedSmtp } from '#tests/helpers/smtp'

test.group('Mail: SMTP settings', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => resetRateLimits())

  test('test email verifies SMTP', async ({ client, assert }) => {
    const admin = await createUser('admin')
    assert.isFalse(await mailer.isVerified())

    const response = await configureVerifiedSmtp(client, admin)

    response.assertFlashMessage(
      'success',
      `The test email to ${admin.email} was accepted. SMTP is verified.`
    )
    assert.isTrue(await mailer.isVerified())
    const message = await waitForMessage(admin.email, 'Coffer test email')
    assert.equal(message.from?.value[0].address, 'coffer@example.test')
  })

  test('failed test email leaves SMTP unverified', async ({ client, assert }) => {
    const admin = await createUser('admin')
    await client
      .put('/settings/smtp')
      .form({ host: '127.0.0.1', port: '1', fromAddress: 'coffer@example.test' })
      .loginAs(admin)
      .withCsrfToken()

    const response = await client
      .post('/settings/smtp/test')
      .form({ to: admin.email })
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)

    response.assertStatus(302)
    assert.isFalse(await mailer.isVerified())
    const page = await client.get('/settings').loginAs(admin)
    page.assertTextIncludes('Not verified.')
  })

  test('editing settings clears verification', async ({ client, assert }) => {
    const admin = await createUser('admin')
    await configureVerifiedSmtp(client, admin)
    assert.isTrue(await mailer.isVerified())

    const server = smtpServer()
    await client
      .put('/settings/smtp')
      .form({ host: server.host, port: String(server.port), fromAddress: 'other@example.test' })
      .loginAs(admin)
      .withCsrfToken()

    assert.isFalse(await mailer.isVerified())
  })

  test('password is write-only and encrypted', async ({ client, assert }) => {
    const admin = await createUser('admin')
    const secret = `smtp-${randomUUID()}`

    await client
      .put('/settings/smtp')
      .form({ host: '127.0.0.1', port: '2525', password: secret, fromAddress: 'a@example.test' })
      .loginAs(admin)
      .withCsrfToken()

    const row = await Setting.findOrFail('smtp.password')
    assert.isTrue(Boolean(row.isSecret))
    assert.match(row.value!, /^v1:[0-9a-f]{8}:/)
    assert.notInclude(row.value!, secret)

    const page = await client.get('/settings').loginAs(admin)
    page.assertStatus(200)
    assert.notInclude(page.text(), secret)
    page.assertTextIncludes('set; leave empty to keep it')

    await client
      .put('/settings/smtp')
      .form({ host: '127.0.0.1', port: '2525', password: '', fromAddress: 'a@example.test' })
      .loginAs(admin)
      .withCsrfToken()
    const config = await mailer.config()
    assert.equal(config.password, secret)
  })

  test('environment locks fields', async ({ client, assert }) => {
    const admin = await createUser('admin')
    env.set('SMTP_HOST', 'smtp.locked.test')
    try {
      await client
        .put('/settings/smtp')
        .form({ host: 'page.example.test', port: '2525', fromAddress: 'a@example.test' })
        .loginAs(admin)
        .withCsrfToken()

      const config = await mailer.config()
      assert.equal(config.host, 'smtp.locked.test')
      assert.equal(config.port, 2525)
      assert.isNull(await Setting.find('smtp.host'))

      const page = await client.get('/settings').loginAs(admin)
      assert.match(page.text(), /data-locked="[^"]*host/)
    } finally {
      env.set('SMTP_HOST', '')
    }
  })
})

test.group('Mail: password reset', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => resetRateLimits())

  test('hidden without verified SMTP', async ({ client, assert }) => {
    const user = await createUser('viewer')

    const page = await client.get('/forgot-password')
    page.assertStatus(200)
    page.assertTextIncludes('needs verified SMTP settings')

    const login = await client.get('/login')
    login.assertTextIncludes('Password reset by email is off')

    await client.post('/forgot-password').form({ email: user.email }).withCsrfToken()
    assert.lengthOf(await UserToken.all(), 0)
  })

  test('full reset flow', async ({ client, assert }) => {
    const admin = await createUser('admin')
    await configureVerifiedSmtp(client, admin)
    const user = await createUser('viewer')

    const requested = await client
      .post('/forgot-password')
      .form({ email: user.email })
      .withCsrfToken()
      .redirects(0)
    requested.assertStatus(302)

    const message = await waitForMessage(user.email, 'Reset your Coffer password')
    const link = linkIn(message, `${env.get('APP_URL')}/reset-password/`)
    const token = link.split('/').pop()!

    const stored = await UserToken.query().where('userId', user.id).firstOrFail()
    assert.equal(stored.tokenHash, hashToken(token))
    assert.notEqual(stored.tokenHash, token)

    const form = await client.get(`/reset-password/${token}`)
    form.assertStatus(200)
    form.assertTextIncludes('Choose a new password')

    const newPassword = 'a brand new password 42'
    const reset = await client
      .post(`/reset-password/${token}`)
      .form({ password: newPassword, passwordConfirmation: newPassword })
      .withCsrfToken()
      .redirects(0)
    reset.assertStatus(302)
    reset.assertHeader('location', '/login')

    await user.refresh()
    assert.equal(user.sessionVersion, 2)

    const oldLogin = await client
      .post('/login')
      .form({ email: user.email, password: TEST_PASSWORD })
      .withCsrfToken()
      .redirects(0)
    oldLogin.assertHeader('location', '/login')

    const newLogin = await client
      .post('/login')
      .form({ email: user.email, password: newPassword })
      .withCsrfToken()
      .redirects(0)
    newLogin.assertHeader('location', '/')

    const reused = await client
      .post(`/reset-password/${token}`)
      .form({
        password: 'yet another password 99',
        passwordConfirmation: 'yet another password 99',
      })
      .withCsrfToken()
      .redirects(0)
    reused.assertStatus(404)
  })

  test('expired token rejected', async ({ client }) => {
    const user = await createUser('viewer')
    const token = 'expired-token-value'
    await UserToken.create({
      id: randomUUID(),
      userId: user.id,
      purpose: 'password_reset',
      tokenHash: hashToken(token),
      email: user.email,
      expiresAt: DateTime.now().minus({ minutes: 1 }),
    })

    const form = await client.get(`/reset-password/${token}`)
    form.assertStatus(404)

    const reset = await client
      .post(`/reset-password/${token}`)
      .form({
        password: 'a brand new password 42',
        passwordConfirmation: 'a brand new password 42',
      })
      .withCsrfToken()
      .redirects(0)
    reset.assertStatus(404)
  })

  test('unknown email reveals nothing', async ({ client, assert }) => {
    const admin = await createUser('admin')
    await configureVerifiedSmtp(client, admin)

    const response = await client
      .post('/forgot-password')
      .form({ email: 'nobody@example.test' })
      .withCsrfToken()
      .redirects(0)

    response.assertFlashMessage(
      'success',
      'If nobody@example.test has an account, a reset link is on its way.'
    )
    assert.lengthOf(await UserToken.all(), 0)
  })
})

test.group('Mail: email verification', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => resetRateLimits())

  test('verification link marks email verified', async ({ client, assert }) => {
    const admin = await createUser('admin')
    await configureVerifiedSmtp(client, admin)
    const user = await createUser('operator')

    const profile = await client.get('/profile').loginAs(user)
    profile.assertTextIncludes('is not verified yet')

    await client.post('/profile/verify-email').loginAs(user).withCsrfToken()
    const message = await waitForMessage(user.email, 'Verify your email')
    const link = linkIn(message, `${env.get('APP_URL')}/verify-email/`)

    const verified = await client.get(new URL(link).pathname).loginAs(user).redirects(0)
    verified.assertStatus(302)

    await user.refresh()
    assert.isNotNull(user.emailVerifiedAt)

    const reused = await client.get(new URL(link).pathname).loginAs(user).redirects(0)
    reused.assertFlashMessage(
      'error',
      'This verification link is invalid, used or expired. Send a new one from your profile.'
    )
  })

  test('unverified email never blocks sign-in', async ({ client }) => {
    const user = await createUser('viewer')

    const response = await client
      .post('/login')
      .form({ email: user.email, password: TEST_PASSWORD })
      .withCsrfToken()
      .redirects(0)

    response.assertHeader('location', '/')
  })

  test('hidden without verified SMTP', async ({ client }) => {
    const user = await createUser('viewer')

    const profile = await client.get('/profile').loginAs(user)

    profile.assertTextIncludes(
      'Email verification is off until an admin verifies the SMTP settings'
    )
  })
})
