import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import User from '#models/user'
import AuditEvent from '#models/audit_event'
import { createUser, resetRateLimits, TEST_PASSWORD } from '#tests/helpers/accounts'

test.group('Auth: sign-up', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => resetRateLimits())

  test('login redirects to sign-up when empty', async ({ client }) => {
    const response = await client.get('/login').redirects(0)

    response.assertStatus(302)
    response.assertHeader('location', '/register')
  })

  test('first account becomes admin', async ({ client, assert }) => {
    const response = await client
      .post('/register')
      .form({
        fullName: 'First Admin',
        email: 'First@Example.test',
        password: TEST_PASSWORD,
        passwordConfirmation: TEST_PASSWORD,
      })
      .withCsrfToken()
      .redirects(0)

    response.assertStatus(302)
    response.assertHeader('location', '/')

    const user = await User.findByOrFail('email', 'first@example.test')
    assert.equal(user.role, 'admin')
    assert.notEqual(user.password, TEST_PASSWORD)
    assert.match(user.password!, /^\$scrypt\$/)
  })

  test('sign-up closed after first account', async ({ client, assert }) => {
    await createUser('admin')

    const page = await client.get('/register')
    page.assertStatus(200)
    page.assertTextIncludes('Sign-up is closed')

    const response = await client
      .post('/register')
      .form({
        fullName: 'Intruder',
        email: 'intruder@example.test',
        password: TEST_PASSWORD,
        passwordConfirmation: TEST_PASSWORD,
      })
      .withCsrfToken()
      .redirects(0)

    response.assertStatus(403)
    assert.isNull(await User.findBy('email', 'intruder@example.test'))
  })

  test('sign-up rejects missing CSRF token', async ({ client, assert }) => {
    const response = await client
      .post('/register')
      .form({
        fullName: 'No Token',
        email: 'no-token@example.test',
        password: TEST_PASSWORD,
        passwordConfirmation: TEST_PASSWORD,
      })
      .redirects(0)

    assert.notEqual(response.status(), 200)
    assert.isNull(await User.findBy('email', 'no-token@example.test'))
  })
})

test.group('Auth: sign-in', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => resetRateLimits())

  test('valid credentials sign in', async ({ client, assert }) => {
    const user = await createUser('viewer')

    const response = await client
      .post('/login')
      .form({ email: user.email, password: TEST_PASSWORD })
      .withCsrfToken()
      .redirects(0)

    response.assertStatus(302)
    response.assertHeader('location', '/')
    response.assertSession('session_version', 1)

    const event = await AuditEvent.query().where('event', 'auth.sign_in').firstOrFail()
    assert.equal(event.actorId, user.id)
  })

  test('wrong password rejected and audited', async ({ client, assert }) => {
    const user = await createUser('viewer')

    const response = await client
      .post('/login')
      .form({ email: user.email, password: 'wrong password here' })
      .withCsrfToken()
      .redirects(0)

    response.assertStatus(302)
    response.assertHeader('location', '/login')
    response.assertFlashMessage('error', 'Invalid email or password.')

    const event = await AuditEvent.query().where('event', 'auth.sign_in_failed').firstOrFail()
    assert.include(event.details, user.email)
    assert.notInclude(event.details, 'wrong password')
  })

  test('sign-out ends the session', async ({ client }) => {
    const user = await createUser('viewer')

    const response = await client.post('/logout').loginAs(user).withCsrfToken().redirects(0)

    response.assertStatus(302)
    response.assertHeader('location', '/login')
    response.assertSessionMissing('auth_web')
  })

  test('sign out everywhere bumps version', async ({ client, assert }) => {
    const user = await createUser('operator')

    const response = await client
      .post('/logout/everywhere')
      .loginAs(user)
      .withCsrfToken()
      .redirects(0)
    response.assertStatus(302)

    await user.refresh()
    assert.equal(user.sessionVersion, 2)

    const stale = await client
      .get('/profile')
      .withSession({ auth_web: user.id, session_version: 1 })
      .redirects(0)
    stale.assertStatus(302)
    stale.assertHeader('location', '/login')
  })

  test('current session version accepted', async ({ client }) => {
    const user = await createUser('viewer')

    const response = await client.get('/profile').loginAs(user)

    response.assertStatus(200)
    response.assertTextIncludes(user.email)
  })

  test('sign-in attempts are rate-limited', async ({ client, assert }) => {
    const user = await createUser('viewer')
    let last = 0
    for (let attempt = 0; attempt < 11; attempt++) {
      const response = await client
        .post('/login')
        .form({ email: user.email, password: 'wrong password here' })
        .withCsrfToken()
        .redirects(0)
      last = response.status()
    }

    assert.equal(last, 429)
  })
})
