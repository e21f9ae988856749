import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import User from '#models/user'
import AuditEvent from '#models/audit_event'
import { createUser, resetRateLimits, TEST_PASSWORD } from '#tests/helpers/accounts'

function changeRole(client: any, actor: User, target: User, role: string) {
  return client
    .put(`/users/${target.id}/role`)
    .form({ role })
    .loginAs(actor)
    .withCsrfToken()
    .redirects(0)
}

function remove(client: any, actor: User, target: User) {
  return client.delete(`/users/${target.id}`).loginAs(actor).withCsrfToken().redirects(0)
}

test.group('Users page', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => resetRateLimits())

  test('lists users for admins only', async ({ client }) => {
    const admin = await createUser('admin')
    const operator = await createUser('operator')

    const page = await client.get('/users').loginAs(admin)
    page.assertStatus(200)
    page.assertTextIncludes(operator.email)

    const denied = await client.get('/users').loginAs(operator)
    denied.assertStatus(403)
  })

  test('role change ends sessions', async ({ client, assert }) => {
    const admin = await createUser('admin')
    const operator = await createUser('operator')
    const staleSession = { auth_web: operator.id, session_version: operator.sessionVersion }

    const response = await changeRole(client, admin, operator, 'viewer')
    response.assertStatus(302)

    await operator.refresh()
    assert.equal(operator.role, 'viewer')
    assert.equal(operator.sessionVersion, 2)

    const stale = await client.get('/profile').withSession(staleSession).redirects(0)
    stale.assertHeader('location', '/login')

    const event = await AuditEvent.findByOrFail('event', 'user.role_changed')
    assert.deepInclude(event.detailsObject, { from: 'operator', to: 'viewer' })
  })

  test('last admin cannot be demoted', async ({ client, assert }) => {
    const admin = await createUser('admin')

    const response = await changeRole(client, admin, admin, 'operator')

    response.assertFlashMessage(
      'error',
      `${admin.email} is the last admin and cannot be demoted. Promote another user first.`
    )
    await admin.refresh()
    assert.equal(admin.role, 'admin')
  })

  test('admin demoted when another exists', async ({ client, assert }) => {
    const admin = await createUser('admin')
    const other = await createUser('admin')

    await changeRole(client, admin, other, 'operator')

    await other.refresh()
    assert.equal(other.role, 'operator')
  })

  test('own account cannot be removed', async ({ client, assert }) => {
    const admin = await createUser('admin')
    await createUser('admin')

    const response = await remove(client, admin, admin)

    response.assertFlashMessage('error', 'You cannot remove your own account from the users page.')
    assert.isNotNull(await User.find(admin.id))
  })

  test('admin removes another admin', async ({ client, assert }) => {
    const admin = await createUser('admin')
    const other = await createUser('admin')

    const response = await remove(client, admin, other)

    response.assertStatus(302)
    assert.isNull(await User.find(other.id))
    assert.equal(await User.countAdmins(), 1)
  })

  test('removal ends sessions', async ({ client, assert }) => {
    const admin = await createUser('admin')
    const viewer = await createUser('viewer')
    const staleSession = { auth_web: viewer.id, session_version: viewer.sessionVersion }

    const response = await remove(client, admin, viewer)
    response.assertStatus(302)
    assert.isNull(await User.find(viewer.id))

    const stale = await client.get('/profile').withSession(staleSession).redirects(0)
    stale.assertHeader('location', '/login')
    assert.isNotNull(await AuditEvent.findBy('event', 'user.removed'))
  })
})

test.group('Profile', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('current password required', async ({ client, assert }) => {
    const user = await createUser('viewer')

    const response = await client
      .put('/profile')
      .form({ fullName: 'Changed', email: user.email, currentPassword: 'not my password' })
      .loginAs(user)
      .withCsrfToken()
      .redirects(0)

    response.assertFlashMessage('error', 'The current password is wrong. Nothing was changed.')
    await user.refresh()
    assert.equal(user.fullName, 'Test viewer')
  })

  test('changes name, email and password', async ({ client, assert }) => {
    const user = await createUser('viewer')
    const newPassword = 'another long password 7'

    const response = await client
      .put('/profile')
      .form({
        fullName: 'New Name',
        email: 'renamed@example.test',
        currentPassword: TEST_PASSWORD,
        newPassword,
        newPasswordConfirmation: newPassword,
      })
      .loginAs(user)
      .withCsrfToken()
      .redirects(0)

    response.assertFlashMessage('success', 'Saved: name, email, password.')
    response.assertSession('session_version', 2)
    await user.refresh()
    assert.equal(user.fullName, 'New Name')
    assert.equal(user.email, 'renamed@example.test')
    assert.isNull(user.emailVerifiedAt)
    await User.verifyCredentials('renamed@example.test', newPassword)
  })

  test('email taken by another account', async ({ client }) => {
    const user = await createUser('viewer')
    const other = await createUser('operator')

    const response = await client
      .put('/profile')
      .form({ fullName: 'X', email: other.email, currentPassword: TEST_PASSWORD })
      .loginAs(user)
      .withCsrfToken()
      .redirects(0)

    response.assertFlashMessage('error', `${other.email} is already used by another account.`)
  })
})
