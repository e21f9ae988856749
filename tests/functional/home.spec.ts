import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { createUser } from '#tests/helpers/accounts'

test.group('Home page', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('sends a signed-out visitor to sign-in', async ({ client, assert }) => {
    const response = await client.get('/').redirects(0)

    response.assertStatus(302)
    assert.equal(response.header('location'), '/login')
  })

  test('shows the overview when signed in', async ({ client }) => {
    const viewer = await createUser('viewer')

    const response = await client.get('/').loginAs(viewer)

    response.assertStatus(200)
    response.assertTextIncludes('Last backup per resource')
  })
})
