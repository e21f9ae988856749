import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import Job from '#models/job'
import Snapshot from '#models/snapshot'
import type User from '#models/user'
import type Resource from '#models/resource'
import type Destination from '#models/destination'
import type { ApiClient } from '@japa/api-client'
import { createUser } from '#tests/helpers/accounts'
import { backupResult, createBackupSetup } from '#tests/helpers/backup_fixtures'

/**
 * Presses "Back up now" as `user`, then leases and completes the backup as the agent with a
 * complete result. Returns the new snapshot's id.
 */
async function backUpAndComplete(
  client: ApiClient,
  user: User,
  setup: { resource: Resource; destination: Destination; token: string }
) {
  await client
    .post(`/resources/${setup.resource.id}/backups`)
    .form({ destinationId: setup.destination.id })
    .withCsrfToken()
    .loginAs(user)
  const lease = await client
    .post('/api/agent/lease')
    .bearerToken(setup.token)
    .json({ capacity: 1, waitSeconds: 0 })
  const backup = lease.body().job
  await client
    .post(`/api/agent/jobs/${backup.id}/complete`)
    .bearerToken(setup.token)
    .json({ status: 'succeeded', result: backupResult(backup.payload.snapshotId) })
  return backup.payload.snapshotId as string
}

test.group('Panel: back up now, restore, delete', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('back up now queues a job the agent leases', async ({ client, assert }) => {
    const operator = await createUser('operator')
    const { resource, destination, token } = await createBackupSetup()

    const response = await client
      .post(`/resources/${resource.id}/backups`)
      .form({ destinationId: destination.id })
      .withCsrfToken()
      .loginAs(operator)
      .redirects(0)
    response.assertStatus(302)

    const job = await Job.query().where('resource_id', resource.id).firstOrFail()
    assert.equal(job.status, 'queued')
    assert.equal(response.header('location'), `/jobs/${job.id}`)

    const lease = await client
      .post('/api/agent/lease')
      .bearerToken(token)
      .json({ capacity: 1, waitSeconds: 0 })
    lease.assertStatus(200)
    const leased = lease.body().job
    assert.equal(leased.kind, 'backup')
    assert.equal(leased.engine.id, 'test/archive')
    assert.match(leased.engine.digest, /^[0-9a-f]{64}$/)
    assert.equal(leased.destination.config.path, '/backups/coffer')
    assert.equal(leased.engineOptions.encryptionKey, 'a2V5LWZvci10ZXN0cw==')
    assert.deepEqual(leased.payload.resource.volumes, [{ type: 'volume', name: 'app-data' }])

    const snapshot = await Snapshot.findOrFail(leased.payload.snapshotId)
    assert.equal(snapshot.status, 'running')
  })

  test('agent completion records the snapshot', async ({ client, assert }) => {
    const operator = await createUser('operator')
    const { resource, destination, token } = await createBackupSetup()
    await client
      .post(`/resources/${resource.id}/backups`)
      .form({ destinationId: destination.id })
      .withCsrfToken()
      .loginAs(operator)
    const lease = await client
      .post('/api/agent/lease')
      .bearerToken(token)
      .json({ capacity: 1, waitSeconds: 0 })
    const { id: jobId, payload } = lease.body().job

    const events = await client
      .post(`/api/agent/jobs/${jobId}/events`)
      .bearerToken(token)
      .json({
        events: [
          { type: 'log', level: 'info', message: 'paused 1 container' },
          { type: 'progress', phase: 'upload', bytesDone: 1024 },
        ],
      })
    events.assertStatus(204)

    const complete = await client
      .post(`/api/agent/jobs/${jobId}/complete`)
      .bearerToken(token)
      .json({ status: 'succeeded', result: backupResult(payload.snapshotId) })
    complete.assertStatus(200)

    const snapshot = await Snapshot.findOrFail(payload.snapshotId)
    assert.equal(snapshot.status, 'succeeded')
    assert.equal(snapshot.sizeBytes, 2148)
    assert.lengthOf(snapshot.artifacts, 2)

    const page = await client.get(`/jobs/${jobId}`).loginAs(operator)
    page.assertStatus(200)
    page.assertTextIncludes('paused 1 container')
    const snapshotPage = await client.get(`/snapshots/${snapshot.id}`).loginAs(operator)
    snapshotPage.assertTextIncludes('archive.tar.zst')
  })

  test('success without artifacts is recorded as failed', async ({ client, assert }) => {
    const operator = await createUser('operator')
    const { resource, destination, token } = await createBackupSetup()
    await client
      .post(`/resources/${resource.id}/backups`)
      .form({ destinationId: destination.id })
      .withCsrfToken()
      .loginAs(operator)
    const lease = await client
      .post('/api/agent/lease')
      .bearerToken(token)
      .json({ capacity: 1, waitSeconds: 0 })
    const { id: jobId, payload } = lease.body().job

    await client
      .post(`/api/agent/jobs/${jobId}/complete`)
      .bearerToken(token)
      .json({ status: 'succeeded', result: { snapshots: [] } })

    const job = await Job.findOrFail(jobId)
    assert.equal(job.status, 'failed')
    assert.equal(job.error?.code, 'INCOMPLETE_RESULT')
    assert.equal((await Snapshot.findOrFail(payload.snapshotId)).status, 'failed')
  })

  test('delete removes the record only after the agent succeeded', async ({ client, assert }) => {
    const operator = await createUser('operator')
    const { resource, destination, token } = await createBackupSetup()
    const snapshotId = await backUpAndComplete(client, operator, { resource, destination, token })

    await client.delete(`/snapshots/${snapshotId}`).withCsrfToken().loginAs(operator).redirects(0)
    assert.equal((await Snapshot.findOrFail(snapshotId)).status, 'deleting')

    const forget = (
      await client.post('/api/agent/lease').bearerToken(token).json({ capacity: 1, waitSeconds: 0 })
    ).body().job
    assert.equal(forget.kind, 'forget')
    assert.equal(forget.payload.snapshots[0].id, snapshotId)
    await client
      .post(`/api/agent/jobs/${forget.id}/complete`)
      .bearerToken(token)
      .json({ status: 'failed', error: { code: 'STORAGE', message: 'permission denied' } })
    assert.equal((await Snapshot.findOrFail(snapshotId)).status, 'succeeded')

    await client.delete(`/snapshots/${snapshotId}`).withCsrfToken().loginAs(operator).redirects(0)
    const second = (
      await client.post('/api/agent/lease').bearerToken(token).json({ capacity: 1, waitSeconds: 0 })
    ).body().job
    await client
      .post(`/api/agent/jobs/${second.id}/complete`)
      .bearerToken(token)
      .json({ status: 'succeeded', result: {} })
    assert.isNull(await Snapshot.find(snapshotId))
  })

  test('restore needs the volume name typed', async ({ client, assert }) => {
    const operator = await createUser('operator')
    const { resource, destination, token } = await createBackupSetup()
    const snapshotId = await backUpAndComplete(client, operator, { resource, destination, token })

    const confirmPage = await client.get(`/snapshots/${snapshotId}/restore`).loginAs(operator)
    confirmPage.assertTextIncludes('app-data')

    await client
      .post(`/snapshots/${snapshotId}/restore`)
      .form({ confirm: 'wrong' })
      .withCsrfToken()
      .loginAs(operator)
      .redirects(0)
    assert.isNull(await Job.query().where('kind', 'restore').first())

    await client
      .post(`/snapshots/${snapshotId}/restore`)
      .form({ confirm: 'app-data' })
      .withCsrfToken()
      .loginAs(operator)
      .redirects(0)
    const restore = (
      await client.post('/api/agent/lease').bearerToken(token).json({ capacity: 1, waitSeconds: 0 })
    ).body().job
    assert.equal(restore.kind, 'restore')
    assert.equal(restore.payload.mode, 'replace')
    assert.deepEqual(restore.payload.volume, { type: 'volume', name: 'app-data' })
    assert.equal(restore.payload.snapshot.artifacts.length, 2)
  })

  test('restore into new volume validates the name', async ({ client, assert }) => {
    const operator = await createUser('operator')
    const setup = await createBackupSetup()
    const snapshotId = await backUpAndComplete(client, operator, setup)
    setup.agent.inventory = {
      containers: [],
      volumes: [
        { name: 'taken', driver: 'local', mountpoint: '/var/lib/docker/volumes/taken', labels: {} },
      ],
    }
    await setup.agent.save()

    const page = await client.get(`/snapshots/${snapshotId}/restore`).loginAs(operator)
    page.assertTextIncludes('Restore into new volume')
    assert.match(page.text(), /name="newVolume"[^>]*value="app-data-restored-\d{8}-\d{4}"/)

    for (const [newVolume, message] of [
      ['', 'Enter the new volume name.'],
      ['../etc', 'Enter a volume name of letters, digits'],
      ['-x', 'Enter a volume name of letters, digits'],
      ['taken', 'A volume named &quot;taken&quot; already exists on this server'],
    ]) {
      const rejected = await client
        .post(`/snapshots/${snapshotId}/restore`)
        .form({ target: 'new-volume', newVolume })
        .withCsrfToken()
        .loginAs(operator)
      rejected.assertTextIncludes(message)
    }
    assert.isNull(await Job.query().where('kind', 'restore').first())

    await client
      .post(`/snapshots/${snapshotId}/restore`)
      .form({ target: 'new-volume', newVolume: 'app-data.copy_1' })
      .withCsrfToken()
      .loginAs(operator)
      .redirects(0)
    const restore = (
      await client
        .post('/api/agent/lease')
        .bearerToken(setup.token)
        .json({ capacity: 1, waitSeconds: 0 })
    ).body().job
    assert.equal(restore.kind, 'restore')
    assert.deepEqual(restore.payload.target, { type: 'new-volume', name: 'app-data.copy_1' })
    assert.deepEqual(restore.payload.volume, { type: 'volume', name: 'app-data' })
  })

  test('job without an accepted engine fails', async ({ client, assert }) => {
    const operator = await createUser('operator')
    const { resource, destination, token } = await createBackupSetup()
    const { default: Engine } = await import('#models/engine')
    await Engine.query().where('engine_id', 'test/archive').update({ status: 'rejected' })

    await client
      .post(`/resources/${resource.id}/backups`)
      .form({ destinationId: destination.id })
      .withCsrfToken()
      .loginAs(operator)
    const lease = await client
      .post('/api/agent/lease')
      .bearerToken(token)
      .json({ capacity: 1, waitSeconds: 0 })

    lease.assertStatus(204)
    const job = await Job.query().where('resource_id', resource.id).firstOrFail()
    assert.equal(job.status, 'failed')
    assert.equal(job.error?.code, 'ENGINE_UNAVAILABLE')
  })

  test('viewer cannot back up or delete', async ({ client, assert }) => {
    const viewer = await createUser('viewer')
    const { resource, destination } = await createBackupSetup()

    const backup = await client
      .post(`/resources/${resource.id}/backups`)
      .form({ destinationId: destination.id })
      .withCsrfToken()
      .loginAs(viewer)
    backup.assertStatus(403)
    assert.isNull(await Job.query().first())
  })

  test('pages render for a viewer', async ({ client }) => {
    const viewer = await createUser('viewer')
    const { resource, destination, instance, agent } = await createBackupSetup()

    for (const path of [
      '/',
      '/resources',
      `/resources/${resource.id}`,
      '/snapshots',
      '/destinations',
      `/destinations/${destination.id}`,
      '/agents',
      `/agents/${agent.id}`,
      '/engines',
      '/instances',
      `/instances/${instance.id}`,
      '/jobs',
    ]) {
      const response = await client.get(path).loginAs(viewer)
      response.assertStatus(200)
    }
  })
})
