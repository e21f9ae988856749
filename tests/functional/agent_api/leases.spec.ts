import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import Job from '#models/job'
import Agent from '#models/agent'
import { enrollAgent } from '#services/agents/enroll_agent'
import { enqueueJob } from '#services/jobs/enqueue_job'
import { expireLeases } from '#services/jobs/expire_leases'
import { cancelJob } from '#services/jobs/cancel_job'
import { toDbTime } from '#services/db_time'
import { createDockerInstance } from '#tests/helpers/agent_fixtures'

/** Enrolls `count` online agents that all serve the same server. */
async function agentsOnOneServer(count: number) {
  const { enrollmentToken } = await createDockerInstance()
  const first = await enrollAgent({ enrollmentToken, hostname: 'host', agentVersion: '0.1.0' })
  const agents = [first]

  for (let index = 1; index < count; index++) {
    const next = await enrollAgent({
      enrollmentToken,
      hostname: `host-${index}`,
      agentVersion: '0.1.0',
    })
    next.agent.serverId = first.agent.serverId
    await next.agent.save()
    agents.push(next)
  }

  for (const { agent } of agents) {
    agent.lastSeenAt = DateTime.now()
    await agent.save()
  }
  return { serverId: first.agent.serverId!, agents }
}

test.group('Agent API: leases', (group) => {
  group.each.teardown(async () => {
    await db.from('alerts').delete()
    await db.from('job_events').delete()
    await db.from('snapshots').delete()
    await db.from('jobs').delete()
    await db.from('agents').delete()
    await db.from('servers').delete()
    await db.from('instances').delete()
  })

  test('concurrent agents never lease a job twice', async ({ client, assert }) => {
    const { serverId, agents } = await agentsOnOneServer(8)
    for (let index = 0; index < 4; index++) {
      await enqueueJob({ kind: 'verify', serverId, payload: { index } })
    }

    const responses = await Promise.all(
      agents.map(({ token }) =>
        client.post('/api/agent/lease').bearerToken(token).json({ capacity: 1, waitSeconds: 0 })
      )
    )

    const leasedIds = responses
      .filter((response) => response.status() === 200)
      .map((response) => response.body().job.id)
    assert.lengthOf(leasedIds, 4)
    assert.lengthOf(new Set(leasedIds), 4)
    assert.equal(responses.filter((response) => response.status() === 204).length, 4)

    const jobs = await Job.all()
    for (const job of jobs) {
      assert.equal(job.status, 'leased')
      assert.equal(job.attempt, 1)
    }
  })

  test('concurrent agents lease the oldest jobs', async ({ client, assert }) => {
    const { serverId, agents } = await agentsOnOneServer(8)
    const queued = []
    // One minute apart, because SQLite stores whole seconds and equal times would tie.
    const start = DateTime.now().minus({ hours: 1 })
    for (let index = 0; index < 12; index++) {
      const job = await enqueueJob({ kind: 'verify', serverId, payload: { index } })
      await db
        .from('jobs')
        .where('id', job.id)
        .update({ created_at: toDbTime(start.plus({ minutes: index })) })
      queued.push(job)
    }

    const responses = await Promise.all(
      agents.map(({ token }) =>
        client.post('/api/agent/lease').bearerToken(token).json({ capacity: 1, waitSeconds: 0 })
      )
    )

    assert.deepEqual(
      responses.map((response) => response.status()),
      agents.map(() => 200)
    )
    const leasedIds = responses.map((response) => response.body().job.id).sort()
    const oldestIds = queued
      .slice(0, 8)
      .map((job) => job.id)
      .sort()
    assert.deepEqual(leasedIds, oldestIds)
  })

  test('expired lease fails the job', async ({ assert }) => {
    const { serverId, agents } = await agentsOnOneServer(1)
    const job = await enqueueJob({ kind: 'backup', serverId, payload: { snapshotId: 'x' } })
    const { leaseJobs } = await import('#services/jobs/lease_jobs')
    await leaseJobs(agents[0].agent, 1)

    await db
      .from('jobs')
      .where('id', job.id)
      .update({ lease_expires_at: toDbTime(DateTime.now().minus({ minutes: 5 })) })
    await expireLeases()

    await job.refresh()
    assert.equal(job.status, 'failed')
    assert.equal(job.error?.code, 'LEASE_EXPIRED')
    assert.include(job.error?.message ?? '', 'lease expired')
  })

  test('expired lease of a retried kind queues it again', async ({ assert }) => {
    const { serverId, agents } = await agentsOnOneServer(1)
    const job = await enqueueJob({ kind: 'verify', serverId, payload: {} })
    const { leaseJobs } = await import('#services/jobs/lease_jobs')
    await leaseJobs(agents[0].agent, 1)

    await db
      .from('jobs')
      .where('id', job.id)
      .update({ lease_expires_at: toDbTime(DateTime.now().minus({ minutes: 5 })) })
    await expireLeases()

    await job.refresh()
    assert.equal(job.status, 'queued')
    assert.isNull(job.leasedBy)
  })

  test('renewal reports a cancel request', async ({ client, assert }) => {
    const { serverId, agents } = await agentsOnOneServer(1)
    await enqueueJob({ kind: 'verify', serverId, payload: {} })
    const leased = await client
      .post('/api/agent/lease')
      .bearerToken(agents[0].token)
      .json({ capacity: 1, waitSeconds: 0 })
    const jobId = leased.body().job.id

    const before = await client
      .post(`/api/agent/jobs/${jobId}/renew`)
      .bearerToken(agents[0].token)
      .json({})
    assert.isFalse(before.body().cancelRequested)

    await cancelJob(await Job.findOrFail(jobId))

    const after = await client
      .post(`/api/agent/jobs/${jobId}/renew`)
      .bearerToken(agents[0].token)
      .json({})
    assert.isTrue(after.body().cancelRequested)
    assert.equal((await Job.findOrFail(jobId)).status, 'running')
  })

  test('another agent cannot renew or complete', async ({ client }) => {
    const { serverId, agents } = await agentsOnOneServer(2)
    await enqueueJob({ kind: 'verify', serverId, payload: {} })
    const leased = await client
      .post('/api/agent/lease')
      .bearerToken(agents[0].token)
      .json({ capacity: 1, waitSeconds: 0 })
    const jobId = leased.body().job.id

    const renew = await client
      .post(`/api/agent/jobs/${jobId}/renew`)
      .bearerToken(agents[1].token)
      .json({})
    renew.assertStatus(409)
    const complete = await client
      .post(`/api/agent/jobs/${jobId}/complete`)
      .bearerToken(agents[1].token)
      .json({ status: 'succeeded' })
    complete.assertStatus(409)
  })

  test('no online agent fails the job at once', async ({ assert }) => {
    const { serverId, agents } = await agentsOnOneServer(1)
    agents[0].agent.lastSeenAt = DateTime.now().minus({ hours: 1 })
    await agents[0].agent.save()

    const job = await enqueueJob({ kind: 'backup', serverId, payload: {} })

    assert.equal(job.status, 'failed')
    assert.equal(job.error?.code, 'NO_ONLINE_AGENT')
    assert.include(job.error?.message ?? '', 'no online agent on server host')
    assert.isFalse((await Agent.findOrFail(agents[0].agent.id)).isOnline)
  })

  test('long poll answers when a job arrives', async ({ client, assert }) => {
    const { serverId, agents } = await agentsOnOneServer(1)

    const pending = client
      .post('/api/agent/lease')
      .bearerToken(agents[0].token)
      .json({ capacity: 1, waitSeconds: 10 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const job = await enqueueJob({ kind: 'verify', serverId, payload: {} })
    const started = Date.now()
    const response = await pending

    response.assertStatus(200)
    assert.equal(response.body().job.id, job.id)
    assert.isBelow(Date.now() - started, 5000)
  })
})
