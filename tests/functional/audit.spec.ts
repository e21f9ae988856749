import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import AuditEvent from '#models/audit_event'
import audit from '#services/audit'
import { createUser, resetRateLimits, TEST_PASSWORD } from '#tests/helpers/accounts'

test.group('Audit log', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => resetRateLimits())

  test('admins see security events', async ({ client }) => {
    const admin = await createUser('admin')
    await client
      .post('/login')
      .form({ email: admin.email, password: 'wrong password here' })
      .withCsrfToken()
    await client
      .post('/login')
      .form({ email: admin.email, password: TEST_PASSWORD })
      .withCsrfToken()
    await client
      .post('/invitations')
      .form({ email: 'audited@example.test', role: 'viewer' })
      .loginAs(admin)
      .withCsrfToken()

    const page = await client.get('/audit').loginAs(admin)

    page.assertStatus(200)
    page.assertTextIncludes('auth.sign_in_failed')
    page.assertTextIncludes('auth.sign_in')
    page.assertTextIncludes('invitation.created')
    page.assertTextIncludes('audited@example.test')
  })

  test('filter by event', async ({ client, assert }) => {
    const admin = await createUser('admin')
    await audit.record(null, 'enrollment_token.revealed', { instanceId: 'inst-1' }, admin)
    await audit.record(null, 'settings.changed', { section: 'smtp' }, admin)

    const page = await client
      .get('/audit')
      .qs({ event: 'enrollment_token.revealed' })
      .loginAs(admin)

    page.assertTextIncludes('inst-1')
    page.assertTextIncludes('enrollment_token.revealed')
    assert.notInclude(page.text(), 'section')
  })

  test('{$self} cannot read the log')
    .with(['viewer', 'operator'] as const)
    .run(async ({ client }, role) => {
      const user = await createUser(role)

      const page = await client.get('/audit').loginAs(user)

      page.assertStatus(403)
    })

  test('secret-like details are dropped', async ({ assert }) => {
    await audit.record(null, 'settings.changed', {
      section: 'smtp',
      password: 'hunter2-secret',
      clientSecret: 'abc-secret',
      token: 'tok-secret',
    })

    const event = await AuditEvent.findByOrFail('event', 'settings.changed')
    assert.deepEqual(event.detailsObject, { section: 'smtp' })
    assert.notInclude(event.details, 'secret')
  })

  test('settings change recorded without secret', async ({ client, assert }) => {
    const admin = await createUser('admin')

    await client
      .put('/settings/oauth/github')
      .form({ clientId: 'gh-id', clientSecret: 'gh-secret-value' })
      .loginAs(admin)
      .withCsrfToken()

    const event = await AuditEvent.findByOrFail('event', 'settings.changed')
    assert.equal(event.actorId, admin.id)
    assert.include(event.details, 'oauth.github')
    assert.notInclude(event.details, 'gh-secret-value')
  })
})
