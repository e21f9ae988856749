import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { DateTime } from 'luxon'
import Job from '#models/job'
import Snapshot from '#models/snapshot'
import settings from '#services/settings'
import { BACKUP_SETTING_KEYS } from '#services/schedules/backup_settings'
import { tick } from '#services/schedules/scheduler'
import { createBackupSetup } from '#tests/helpers/backup_fixtures'
import { createSchedule, recordSnapshot } from '#tests/helpers/schedule_fixtures'

async function forgottenIds() {
  const jobs = await Job.query().where('kind', 'forget')
  return jobs.flatMap((job) => job.payload.snapshots.map((ref: { id: string }) => ref.id)).sort()
}

test.group('Retention', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('failures between successes', async ({ assert }) => {
    const { resource, destination, agent } = await createBackupSetup()
    resource.backupEnabled = true
    await resource.save()
    await settings.set(BACKUP_SETTING_KEYS.timezone, 'Europe/Berlin')

    // Ten nights, 01:00 Berlin; nights 3, 5 and 9 (newest) failed; night 6 went missing.
    const first = DateTime.fromISO('2027-06-01T01:00', { zone: 'Europe/Berlin' })
    const nights: Snapshot[] = []
    for (let night = 0; night < 10; night++) {
      const status = [3, 5, 9].includes(night) ? 'failed' : night === 6 ? 'missing' : 'succeeded'
      nights.push(
        await recordSnapshot({
          resourceId: resource.id,
          destinationId: destination.id,
          agentId: agent.id,
          startedAt: first.plus({ days: night }),
          status,
        })
      )
    }
    // A failed retry on night 8 after its success: it must not take the day's bucket.
    const retry = await recordSnapshot({
      resourceId: resource.id,
      destinationId: destination.id,
      agentId: agent.id,
      startedAt: first.plus({ days: 8, hours: 2 }),
      status: 'failed',
    })

    const now = first.plus({ days: 9, hours: 12 })
    await createSchedule({
      scopeType: 'resource',
      scopeId: resource.id,
      destinationId: destination.id,
      cron: '0 1 * * *',
      createdAt: now.minus({ minutes: 1 }),
      retention: { daily: 3, weekly: 0, monthly: 0, yearly: 0 },
    })

    await tick(now)

    // Good nights: 0, 1, 2, 4, 7, 8. Daily 3 keeps 8, 7 and 4, so 2, 1 and 0 get forget jobs.
    const expected = [nights[0].id, nights[1].id, nights[2].id].sort()
    assert.deepEqual(await forgottenIds(), expected)
    for (const index of [0, 1, 2]) {
      assert.equal((await Snapshot.findOrFail(nights[index].id)).status, 'deleting')
    }
    for (const index of [3, 5, 6, 7, 8, 9]) {
      assert.notEqual((await Snapshot.findOrFail(nights[index].id)).status, 'deleting')
    }
    assert.equal((await Snapshot.findOrFail(retry.id)).status, 'failed')

    await tick(now.plus({ minutes: 1 }))
    assert.deepEqual(await forgottenIds(), expected)
  })

  test('last good snapshot stays', async ({ assert }) => {
    const { resource, destination, agent } = await createBackupSetup()
    resource.backupEnabled = true
    await resource.save()
    const start = DateTime.fromISO('2027-06-01T01:00:00Z')
    const good = await recordSnapshot({
      resourceId: resource.id,
      destinationId: destination.id,
      agentId: agent.id,
      startedAt: start,
      status: 'succeeded',
    })
    await recordSnapshot({
      resourceId: resource.id,
      destinationId: destination.id,
      agentId: agent.id,
      startedAt: start.plus({ days: 1 }),
      status: 'failed',
    })
    await recordSnapshot({
      resourceId: resource.id,
      destinationId: destination.id,
      agentId: agent.id,
      startedAt: start.plus({ days: 2 }),
      status: 'failed',
    })

    const now = start.plus({ days: 3 })
    await createSchedule({
      scopeType: 'resource',
      scopeId: resource.id,
      destinationId: destination.id,
      cron: '0 1 * * *',
      createdAt: now,
      retention: { daily: 0, weekly: 0, monthly: 0, yearly: 0 },
    })
    await tick(now)

    assert.deepEqual(await forgottenIds(), [])
    assert.equal((await Snapshot.findOrFail(good.id)).status, 'succeeded')
  })

  test('sync mode keeps the newest copy', async ({ assert }) => {
    const { resource, destination, agent } = await createBackupSetup()
    resource.backupEnabled = true
    await resource.save()
    const start = DateTime.fromISO('2027-06-01T01:00:00Z')
    const older = await recordSnapshot({
      resourceId: resource.id,
      destinationId: destination.id,
      agentId: agent.id,
      startedAt: start,
      status: 'succeeded',
    })
    const newer = await recordSnapshot({
      resourceId: resource.id,
      destinationId: destination.id,
      agentId: agent.id,
      startedAt: start.plus({ hours: 1 }),
      status: 'succeeded',
    })

    const now = start.plus({ hours: 2 })
    await createSchedule({
      scopeType: 'resource',
      scopeId: resource.id,
      destinationId: destination.id,
      cron: '0 1 * * *',
      createdAt: now,
      mode: 'sync',
    })
    await tick(now)

    assert.deepEqual(await forgottenIds(), [older.id])
    assert.equal((await Snapshot.findOrFail(newer.id)).status, 'succeeded')
  })

  test('old failed attempts are cleaned', async ({ assert }) => {
    const { resource, destination, agent } = await createBackupSetup()
    const now = DateTime.fromISO('2027-06-20T12:00:00Z')
    const old = await recordSnapshot({
      resourceId: resource.id,
      destinationId: destination.id,
      agentId: agent.id,
      startedAt: now.minus({ days: 8 }),
      status: 'failed',
    })
    const recent = await recordSnapshot({
      resourceId: resource.id,
      destinationId: destination.id,
      agentId: agent.id,
      startedAt: now.minus({ days: 2 }),
      status: 'failed',
    })
    const good = await recordSnapshot({
      resourceId: resource.id,
      destinationId: destination.id,
      agentId: agent.id,
      startedAt: now.minus({ days: 9 }),
      status: 'succeeded',
    })

    await tick(now)

    assert.isNull(await Snapshot.find(old.id))
    assert.isNotNull(await Snapshot.find(recent.id))
    assert.equal((await Snapshot.findOrFail(good.id)).status, 'succeeded')
  })
})
