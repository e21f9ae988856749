import { test } from '@japa/runner'
import server from '@adonisjs/core/services/server'

test.group('HTTP server', () => {
  test('long uploads outlive the default request timeout', async ({ assert }) => {
    const nodeServer = server.getNodeServer()
    assert.exists(nodeServer, 'the functional suite starts the HTTP server')
    // Node's default of 300 seconds would cut an agent's upload of a large download archive.
    assert.equal(nodeServer!.requestTimeout, 6 * 60 * 60 * 1000)
    assert.equal(nodeServer!.headersTimeout, 60 * 1000)
  })
})
