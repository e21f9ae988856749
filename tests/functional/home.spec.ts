import { test } from '@japa/runner'

test.group('Home page', () => {
  test('renders the panel', async ({ client }) => {
    const response = await client.get('/')

    response.assertStatus(200)
    response.assertTextIncludes('Coffer')
  })
})
