import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import Alert from '#models/alert'
import Snapshot from '#models/snapshot'
import settings from '#services/settings'
import { settleAlertDeliveries } from '#services/alerts/raise_alert'
import { postWebhook, webhookDelivery } from '#services/alerts/post_webhook'
import { BACKUP_SETTING_KEYS } from '#services/schedules/backup_settings'
import { createUser } from '#tests/helpers/accounts'
import { backupResult, createBackupSetup } from '#tests/helpers/backup_fixtures'
import { startWebhookReceiver } from '#tests/helpers/webhook_receiver'

/** Runs one backup through the agent API and returns its job and snapshot ids. */
async function runBackup(client: any, status: 'succeeded' | 'failed') {
  const operator = await createUser('operator')
  const setup = await createBackupSetup()
  await client
    .post(`/resources/${setup.resource.id}/backups`)
    .form({ destinationId: setup.destination.id })
    .withCsrfToken()
    .loginAs(operator)
  const job = (
    await client
      .post('/api/agent/lease')
      .bearerToken(setup.token)
      .json({ capacity: 1, waitSeconds: 0 })
  ).body().job
  const completion =
    status === 'succeeded'
      ? { status, result: backupResult(job.payload.snapshotId) }
      : { status, error: { code: 'STORAGE', message: 'disk full on /backups' } }
  await client.post(`/api/agent/jobs/${job.id}/complete`).bearerToken(setup.token).json(completion)
  return {
    ...setup,
    operator,
    jobId: job.id as string,
    snapshotId: job.payload.snapshotId as string,
  }
}

test.group('Alerts and reconciliation', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => {
    const saved = { ...webhookDelivery }
    webhookDelivery.backoffMs = 10
    webhookDelivery.timeoutMs = 500
    return () => {
      Object.assign(webhookDelivery, saved)
    }
  })

  test('failed backup reaches the webhook', async ({ client, assert }) => {
    const receiver = await startWebhookReceiver()
    await settings.setSecret(BACKUP_SETTING_KEYS.webhookUrl, receiver.url)

    const { jobId, snapshotId, resource, instance } = await runBackup(client, 'failed')
    await settleAlertDeliveries()
    await receiver.close()

    assert.lengthOf(receiver.received, 1)
    const body = receiver.received[0].body
    assert.equal(body.coffer.event, 'backup_failed')
    assert.equal(body.content, body.text)
    assert.include(body.text, 'disk full on /backups')
    assert.include(body.text, `Resource: ${resource.name}`)
    assert.include(body.text, `Instance: ${instance.name}`)
    assert.include(body.text, `http://127.0.0.1:3334/snapshots/${snapshotId}`)
    assert.equal(body.coffer.job.url, `http://127.0.0.1:3334/jobs/${jobId}`)
    assert.equal((await Alert.query().firstOrFail()).status, 'sent')
  })

  test('verify marks a deleted artifact missing', async ({ client, assert }) => {
    const receiver = await startWebhookReceiver()
    await settings.setSecret(BACKUP_SETTING_KEYS.webhookUrl, receiver.url)
    const { snapshotId, destination, token, operator } = await runBackup(client, 'succeeded')

    const verifyRound = async (present: boolean) => {
      const response = await client
        .post(`/destinations/${destination.id}/verify`)
        .withCsrfToken()
        .loginAs(operator)
        .redirects(0)
      response.assertStatus(302)
      const lease = (
        await client
          .post('/api/agent/lease')
          .bearerToken(token)
          .json({ capacity: 1, waitSeconds: 0 })
      ).body().job
      assert.equal(lease.kind, 'verify')
      assert.equal(lease.payload.level, 'structure')
      assert.deepEqual(
        lease.payload.snapshots.map((ref: { id: string }) => ref.id),
        [snapshotId]
      )
      await client
        .post(`/api/agent/jobs/${lease.id}/complete`)
        .bearerToken(token)
        .json({ status: 'succeeded', result: { verified: [{ id: snapshotId, present }] } })
      await settleAlertDeliveries()
    }

    await verifyRound(false)
    assert.equal((await Snapshot.findOrFail(snapshotId)).status, 'missing')
    assert.lengthOf(receiver.received, 1)
    assert.equal(receiver.received[0].body.coffer.event, 'snapshot_missing')
    assert.equal(receiver.received[0].body.coffer.snapshot.id, snapshotId)

    await verifyRound(false)
    assert.lengthOf(receiver.received, 1)

    await verifyRound(true)
    assert.equal((await Snapshot.findOrFail(snapshotId)).status, 'succeeded')

    await verifyRound(false)
    await receiver.close()
    assert.lengthOf(receiver.received, 2)
  })

  test('verify reports snapshots Coffer did not record', async ({ client, assert }) => {
    const { snapshotId, destination, token, operator } = await runBackup(client, 'succeeded')
    await client.post(`/destinations/${destination.id}/verify`).withCsrfToken().loginAs(operator)
    const lease = (
      await client.post('/api/agent/lease').bearerToken(token).json({ capacity: 1, waitSeconds: 0 })
    ).body().job
    assert.isTrue(lease.payload.listDestination)

    const foreign = { engineSnapshotId: 'f00dfeed', time: '2026-11-30T02:00:00.000Z' }
    await client
      .post(`/api/agent/jobs/${lease.id}/complete`)
      .bearerToken(token)
      .json({
        status: 'succeeded',
        result: {
          verified: [{ id: snapshotId, present: true }],
          listed: [
            { id: snapshotId, engineSnapshotId: null, time: '2026-12-01T02:00:00.000Z' },
            foreign,
          ],
        },
      })

    await destination.refresh()
    assert.deepEqual(destination.unrecordedSnapshots, [{ id: null, ...foreign }])
    assert.equal((await Snapshot.findOrFail(snapshotId)).status, 'succeeded')
    const page = await client.get(`/destinations/${destination.id}`).loginAs(operator)
    page.assertTextIncludes('found 1 snapshots at this destination that Coffer has no record of')
    page.assertTextIncludes('f00dfeed')
  })

  test('send test button delivers', async ({ client, assert }) => {
    const admin = await createUser('admin')
    const receiver = await startWebhookReceiver()

    const save = await client
      .post('/settings/backups')
      .form({ timezone: 'Australia/Sydney', webhookUrl: receiver.url })
      .withCsrfToken()
      .loginAs(admin)
      .redirects(0)
    save.assertStatus(302)
    assert.equal(await settings.get(BACKUP_SETTING_KEYS.timezone), 'Australia/Sydney')
    assert.equal(await settings.getSecret(BACKUP_SETTING_KEYS.webhookUrl), receiver.url)

    const page = await client.get('/settings/backups').loginAs(admin)
    page.assertTextIncludes('Send test alert')
    assert.notInclude(page.text(), receiver.url)

    await client.post('/alerts/test').withCsrfToken().loginAs(admin).redirects(0)
    await receiver.close()
    assert.lengthOf(receiver.received, 1)
    assert.equal(receiver.received[0].body.coffer.event, 'test')
    assert.equal((await Alert.query().where('kind', 'test').firstOrFail()).status, 'sent')
  })

  test('settings reject bad values', async ({ client, assert }) => {
    const admin = await createUser('admin')
    await client
      .post('/settings/backups')
      .form({ timezone: 'Mars/Olympus', webhookUrl: 'ftp://127.0.0.1/hook' })
      .withCsrfToken()
      .loginAs(admin)
      .redirects(0)
    assert.isNull(await settings.get(BACKUP_SETTING_KEYS.timezone))
    assert.isNull(await settings.getSecret(BACKUP_SETTING_KEYS.webhookUrl))
  })

  test('webhook retries, no redirects, timeout', async ({ assert }) => {
    const flaky = await startWebhookReceiver({ responses: [500, 503] })
    const retried = await postWebhook(flaky.url, { text: 'x', content: 'x' })
    await flaky.close()
    assert.isTrue(retried.ok)
    assert.equal(retried.attempts, 3)
    assert.lengthOf(flaky.received, 3)

    const redirecting = await startWebhookReceiver({ responses: [302] })
    const redirected = await postWebhook(redirecting.url, { text: 'x' })
    await redirecting.close()
    assert.isFalse(redirected.ok)
    assert.equal(redirected.attempts, 1)
    assert.match(redirected.error ?? '', /redirect/)

    const rejecting = await startWebhookReceiver({ responses: [404] })
    const rejected = await postWebhook(rejecting.url, { text: 'x' })
    await rejecting.close()
    assert.equal(rejected.attempts, 1)

    const hanging = await startWebhookReceiver({ hang: true })
    const timedOut = await postWebhook(hanging.url, { text: 'x' }, { attempts: 2 })
    await hanging.close()
    assert.isFalse(timedOut.ok)
    assert.equal(timedOut.attempts, 2)
    assert.match(timedOut.error ?? '', /timed out/)

    await assert.rejects(() => postWebhook('file:///etc/passwd', {}), /only http and https/)
  })

  test('alert pages render', async ({ client }) => {
    const viewer = await createUser('viewer')
    for (const path of ['/alerts', '/schedules', '/settings/backups']) {
      const response = await client.get(path).loginAs(viewer)
      response.assertStatus(200)
    }
  })
})
