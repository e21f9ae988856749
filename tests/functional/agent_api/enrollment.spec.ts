import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import Agent from '#models/agent'
import { hashToken } from '#services/tokens'
import { createDockerInstance } from '#tests/helpers/agent_fixtures'

test.group('Agent API: enrollment', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('returns a token stored only as its hash', async ({ client, assert }) => {
    const { enrollmentToken } = await createDockerInstance()

    const response = await client
      .post('/api/agent/enroll')
      .json({ enrollmentToken, hostname: 'web-1', agentVersion: '0.1.0' })

    response.assertStatus(201)
    const { agentId, token } = response.body()
    const agent = await Agent.findOrFail(agentId)
    assert.equal(agent.tokenHash, hashToken(token))
    assert.notInclude(JSON.stringify(agent.$attributes), token)
  })

  test('same token twice makes two agents', async ({ client, assert }) => {
    const { enrollmentToken } = await createDockerInstance()
    const body = { enrollmentToken, hostname: 'web-1', agentVersion: '0.1.0' }

    const first = await client.post('/api/agent/enroll').json(body)
    const second = await client.post('/api/agent/enroll').json(body)

    assert.notEqual(first.body().agentId, second.body().agentId)
    assert.notEqual(first.body().token, second.body().token)
    const firstAgent = await Agent.findOrFail(first.body().agentId)
    assert.equal(firstAgent.tokenHash, hashToken(first.body().token))
  })

  test('rejects an unknown enrollment token', async ({ client }) => {
    const response = await client.post('/api/agent/enroll').json({
      enrollmentToken: 'coffer_enroll_not-a-real-token',
      hostname: 'x',
      agentVersion: '0.1.0',
    })

    response.assertStatus(401)
    response.assertBodyContains({ error: { code: 'INVALID_ENROLLMENT_TOKEN' } })
  })

  test('rejects a request without a bearer token', async ({ client }) => {
    const response = await client.post('/api/agent/heartbeat').json({})

    response.assertStatus(401)
    response.assertBodyContains({ error: { code: 'INVALID_AGENT_TOKEN' } })
  })

  test('revoked agent loses access at once', async ({ client }) => {
    const { enrollmentToken } = await createDockerInstance()
    const enrolled = await client
      .post('/api/agent/enroll')
      .json({ enrollmentToken, hostname: 'web-1', agentVersion: '0.1.0' })
    const { agentId, token } = enrolled.body()

    const agent = await Agent.findOrFail(agentId)
    agent.revokedAt = (await import('luxon')).DateTime.now()
    await agent.save()

    const response = await client
      .post('/api/agent/lease')
      .bearerToken(token)
      .json({ capacity: 1, waitSeconds: 0 })
    response.assertStatus(401)
  })
})
