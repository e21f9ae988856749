import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import env from '#start/env'
import User from '#models/user'
import Setting from '#models/setting'
import AuditEvent from '#models/audit_event'
import settings from '#services/settings'
import { oauthSettingKeys } from '#services/oauth_providers'
import { createUser, resetRateLimits } from '#tests/helpers/accounts'
import { OauthTestServer } from '#tests/helpers/oauth_server'

type Provider = 'github' | 'google' | 'gitlab'

/** Provider variables a local .env may set; the group clears them so settings decide. */
const CREDENTIAL_VARIABLES = [
  'GITHUB_CLIENT_ID',
  'GITHUB_CLIENT_SECRET',
  'GOOGLE_CLIENT_ID',
  'GOOGLE_CLIENT_SECRET',
  'GITLAB_CLIENT_ID',
  'GITLAB_CLIENT_SECRET',
  'GITLAB_BASE_URL',
]

const ENDPOINT_VARIABLES = [
  'GITHUB_AUTHORIZE_URL',
  'GITHUB_ACCESS_TOKEN_URL',
  'GITHUB_USER_INFO_URL',
  'GITHUB_USER_EMAIL_URL',
  'GOOGLE_AUTHORIZE_URL',
  'GOOGLE_ACCESS_TOKEN_URL',
  'GOOGLE_USER_INFO_URL',
]

/** Points every provider at the test server, with credentials stored as the settings page does. */
async function configureProviders(server: OauthTestServer) {
  const github = server.urls('github')
  const google = server.urls('google')
  env.set('GITHUB_AUTHORIZE_URL', github.authorizeUrl)
  env.set('GITHUB_ACCESS_TOKEN_URL', github.accessTokenUrl)
  env.set('GITHUB_USER_INFO_URL', github.userInfoUrl)
  env.set('GITHUB_USER_EMAIL_URL', github.userEmailUrl!)
  env.set('GOOGLE_AUTHORIZE_URL', google.authorizeUrl)
  env.set('GOOGLE_ACCESS_TOKEN_URL', google.accessTokenUrl)
  env.set('GOOGLE_USER_INFO_URL', google.userInfoUrl)

  for (const provider of ['github', 'google', 'gitlab'] as const) {
    const keys = oauthSettingKeys(provider)
    await settings.set(keys.clientId, server.clientId)
    await settings.setSecret(keys.clientSecret, server.clientSecret)
  }
  await settings.set(oauthSettingKeys('gitlab').baseUrl, server.urls('gitlab').baseUrl!)
}

/**
 * Drives the whole flow: Coffer redirects to the provider, the provider approves and
 * redirects back with a code, and the callback request carries the state cookie from the
 * first response, as a browser would.
 */
async function signInWith(client: any, provider: Provider, tamperState = false) {
  const start = await client.get(`/oauth/${provider}`).redirects(0)
  start.assertStatus(302)
  const authorizeUrl = new URL(start.header('location'))

  const approval = await fetch(authorizeUrl, { redirect: 'manual' })
  const callback = new URL(approval.headers.get('location')!)
  if (tamperState) {
    callback.searchParams.set('state', 'forged-state')
  }

  let request = client.get(`${callback.pathname}${callback.search}`).redirects(0)
  for (const cookie of Object.values(start.cookies()) as Array<{ name: string; value: any }>) {
    if (cookie.value) {
      request = request.withEncryptedCookie(cookie.name, cookie.value)
    }
  }
  return { start, authorizeUrl, response: await request }
}

test.group('OAuth sign-in', (group) => {
  const server = new OauthTestServer()

  group.setup(async () => {
    const saved = CREDENTIAL_VARIABLES.map((name) => [name, process.env[name]] as const)
    for (const name of CREDENTIAL_VARIABLES) env.set(name, '')
    await server.start()
    return async () => {
      for (const name of ENDPOINT_VARIABLES) env.set(name, '')
      for (const [name, value] of saved) env.set(name, value ?? '')
      await server.close()
    }
  })
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => resetRateLimits())

  test('buttons appear once configured', async ({ client, assert }) => {
    await createUser('admin')

    const before = await client.get('/login')
    assert.notInclude(before.text(), 'Sign in with GitHub')

    await configureProviders(server)

    const after = await client.get('/login')
    after.assertTextIncludes('Sign in with GitHub')
    after.assertTextIncludes('Sign in with Google')
    after.assertTextIncludes('Sign in with GitLab')
  })

  test('{$self} redirect carries state and callback')
    .with(['github', 'google', 'gitlab'] as Provider[])
    .run(async ({ client, assert }, provider) => {
      await createUser('admin')
      await configureProviders(server)

      const start = await client.get(`/oauth/${provider}`).redirects(0)

      start.assertStatus(302)
      const location = new URL(start.header('location')!)
      assert.equal(`${location.origin}${location.pathname}`, server.urls(provider).authorizeUrl)
      assert.equal(location.searchParams.get('client_id'), server.clientId)
      assert.equal(
        location.searchParams.get('redirect_uri'),
        `${env.get('APP_URL')}/oauth/${provider}/callback`
      )
      assert.isAbove(location.searchParams.get('state')?.length ?? 0, 10)
    })

  test('github maps to existing user', async ({ client, assert }) => {
    const user = await createUser('operator')
    await configureProviders(server)
    server.identity = { id: 10, email: user.email.toUpperCase(), emailVerified: true, name: 'Op' }

    const { response } = await signInWith(client, 'github')

    response.assertStatus(302)
    response.assertHeader('location', '/')
    response.assertSession('auth_web', user.id)
    response.assertSession('session_version', user.sessionVersion)
    const event = await AuditEvent.query().where('event', 'auth.sign_in').firstOrFail()
    assert.equal(event.actorId, user.id)
    assert.include(event.details, 'github')
  })

  test('google accepts pending invitation', async ({ client, assert }) => {
    const admin = await createUser('admin')
    await configureProviders(server)
    const invited = await client
      .post('/invitations')
      .form({ email: 'invitee@example.test', role: 'operator' })
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
    invited.assertStatus(302)
    server.identity = {
      id: 20,
      email: 'invitee@example.test',
      emailVerified: true,
      name: 'Invitee',
    }

    const { response } = await signInWith(client, 'google')

    response.assertHeader('location', '/')
    const user = await User.findByOrFail('email', 'invitee@example.test')
    assert.equal(user.role, 'operator')
    assert.isNull(user.password)
    assert.isNotNull(user.emailVerifiedAt)
  })

  test('gitlab makes the first admin', async ({ client, assert }) => {
    await configureProviders(server)
    server.identity = {
      id: 30,
      email: 'founder@example.test',
      emailVerified: true,
      name: 'Founder',
    }

    const { response } = await signInWith(client, 'gitlab')

    response.assertHeader('location', '/')
    const user = await User.findByOrFail('email', 'founder@example.test')
    assert.equal(user.role, 'admin')
    const tokenRequest = server.tokenRequests.at(-1)!
    assert.equal(tokenRequest.provider, 'gitlab')
    assert.equal(tokenRequest.body.get('grant_type'), 'authorization_code')
  })

  test('unknown email refused', async ({ client, assert }) => {
    await createUser('admin')
    await configureProviders(server)
    server.identity = {
      id: 40,
      email: 'stranger@example.test',
      emailVerified: true,
      name: 'Stranger',
    }

    const { response } = await signInWith(client, 'github')

    response.assertHeader('location', '/login')
    response.assertFlashMessage(
      'error',
      'No account or pending invitation exists for stranger@example.test. Ask an admin to invite this address.'
    )
    assert.isNull(await User.findBy('email', 'stranger@example.test'))
    assert.isNotNull(await AuditEvent.findBy('event', 'auth.sign_in_failed'))
  })

  test('unverified email refused', async ({ client, assert }) => {
    const user = await createUser('viewer')
    await configureProviders(server)
    server.identity = { id: 50, email: user.email, emailVerified: false, name: 'Viewer' }

    const { response } = await signInWith(client, 'gitlab')

    response.assertHeader('location', '/login')
    response.assertSessionMissing('auth_web')
    assert.include(response.flashMessages().error, 'is not verified there')
  })

  test('forged state refused', async ({ client }) => {
    const user = await createUser('viewer')
    await configureProviders(server)
    server.identity = { id: 60, email: user.email, emailVerified: true, name: 'Viewer' }

    const { response } = await signInWith(client, 'google', true)

    response.assertHeader('location', '/login')
    response.assertSessionMissing('auth_web')
    response.assertFlashMessage(
      'error',
      'The sign-in with Google expired or came from another browser. Try again.'
    )
  })

  test('unconfigured provider refused', async ({ client }) => {
    await createUser('admin')

    const response = await client.get('/oauth/github').redirects(0)

    response.assertHeader('location', '/login')
    response.assertFlashMessage('error', 'Sign-in with "github" is not configured.')
  })

  test('settings page stores secret encrypted', async ({ client, assert }) => {
    const admin = await createUser('admin')
    const secret = 'oauth-secret-value-123'

    const response = await client
      .put('/settings/oauth/gitlab')
      .form({ clientId: 'gl-client', clientSecret: secret, baseUrl: 'https://gitlab.example.test' })
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
    response.assertStatus(302)

    const row = await Setting.findOrFail(oauthSettingKeys('gitlab').clientSecret)
    assert.match(row.value!, /^v1:/)
    assert.notInclude(row.value!, secret)
    assert.equal(await settings.getSecret(oauthSettingKeys('gitlab').clientSecret), secret)

    const page = await client.get('/settings').loginAs(admin)
    assert.notInclude(page.text(), secret)
    page.assertTextIncludes('gl-client')
    page.assertTextIncludes('GitLab (enabled)')
  })
})
