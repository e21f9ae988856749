import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import Alert from '#models/alert'
import Job from '#models/job'
import ScheduleRun from '#models/schedule_run'
import settings from '#services/settings'
import { settleAlertDeliveries } from '#services/alerts/raise_alert'
import { webhookDelivery } from '#services/alerts/post_webhook'
import { BACKUP_SETTING_KEYS } from '#services/schedules/backup_settings'
import { tick, sweepOverdue } from '#services/schedules/scheduler'
import Schedule from '#models/schedule'
import { toDbTime } from '#services/db_time'
import { createUser } from '#tests/helpers/accounts'
import { createBackupSetup } from '#tests/helpers/backup_fixtures'
import { createSchedule } from '#tests/helpers/schedule_fixtures'
import { startWebhookReceiver } from '#tests/helpers/webhook_receiver'

/** Ticks the scheduler every `stepMinutes` from `from` (inclusive) to `to` (exclusive). */
async function runClock(from: DateTime, to: DateTime, stepMinutes: number) {
  for (let now = from; now < to; now = now.plus({ minutes: stepMinutes })) {
    await tick(now)
  }
}

async function firedSlots(scheduleId: string, zone: string) {
  const runs = await ScheduleRun.query().where('schedule_id', scheduleId).orderBy('slot_at')
  return runs.map((run) =>
    run.slotAt.setZone(zone).toISO({ suppressMilliseconds: true, suppressSeconds: true })
  )
}

/**
 * Daylight-saving changes of 2027: a daily run inside the spring gap runs once at the end of the
 * gap (03:00), and an ambiguous one in autumn runs once, at its first occurrence. New York sets
 * clocks back from 02:00 to 01:00, so its ambiguous time is 01:30.
 */
const DST_CASES = [
  {
    zone: 'Europe/Berlin',
    change: '2027-03-28',
    cron: '30 2 * * *',
    runs: ['2027-03-27T02:30+01:00', '2027-03-28T03:00+02:00', '2027-03-29T02:30+02:00'],
  },
  {
    zone: 'Europe/Berlin',
    change: '2027-10-31',
    cron: '30 2 * * *',
    runs: ['2027-10-30T02:30+02:00', '2027-10-31T02:30+02:00', '2027-11-01T02:30+01:00'],
  },
  {
    zone: 'America/New_York',
    change: '2027-03-14',
    cron: '30 2 * * *',
    runs: ['2027-03-13T02:30-05:00', '2027-03-14T03:00-04:00', '2027-03-15T02:30-04:00'],
  },
  {
    zone: 'America/New_York',
    change: '2027-11-07',
    cron: '30 1 * * *',
    runs: ['2027-11-06T01:30-04:00', '2027-11-07T01:30-04:00', '2027-11-08T01:30-05:00'],
  },
  {
    zone: 'Australia/Sydney',
    change: '2027-10-03',
    cron: '30 2 * * *',
    runs: ['2027-10-02T02:30+10:00', '2027-10-03T03:00+11:00', '2027-10-04T02:30+11:00'],
  },
  {
    zone: 'Australia/Sydney',
    change: '2027-04-04',
    cron: '30 2 * * *',
    runs: ['2027-04-03T02:30+11:00', '2027-04-04T02:30+11:00', '2027-04-05T02:30+10:00'],
  },
]

test.group('Scheduler: slots', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  for (const entry of DST_CASES) {
    test(`DST ${entry.zone} ${entry.change}`, async ({ assert }) => {
      const { resource, destination } = await createBackupSetup()
      resource.backupEnabled = true
      await resource.save()
      await settings.set(BACKUP_SETTING_KEYS.timezone, entry.zone)

      const change = DateTime.fromISO(entry.change, { zone: entry.zone })
      const from = change.minus({ days: 1 })
      const schedule = await createSchedule({
        scopeType: 'resource',
        scopeId: resource.id,
        destinationId: destination.id,
        cron: entry.cron,
        createdAt: from.minus({ minutes: 1 }),
      })

      await runClock(from, change.plus({ days: 1, hours: 12 }), 30)

      assert.deepEqual(await firedSlots(schedule.id, entry.zone), entry.runs)
      const jobs = await Job.query().where('resource_id', resource.id).where('kind', 'backup')
      assert.lengthOf(jobs, entry.runs.length)
    }).timeout(120_000)
  }

  test('catch-up runs a missed slot once', async ({ assert }) => {
    const { resource, destination } = await createBackupSetup()
    resource.backupEnabled = true
    await resource.save()
    const start = DateTime.fromISO('2027-05-10T00:00:00Z')
    const schedule = await createSchedule({
      scopeType: 'instance',
      scopeId: resource.instanceId,
      destinationId: destination.id,
      cron: '0 * * * *',
      createdAt: start.minus({ minutes: 5 }),
    })

    await tick(start)
    await tick(start.plus({ hours: 5, minutes: 10 }))

    const runs = await ScheduleRun.query().where('schedule_id', schedule.id).orderBy('slot_at')
    assert.lengthOf(runs, 2)
    assert.equal(runs[1].slotAt.toUTC().toISO(), '2027-05-10T05:00:00.000Z')
    assert.equal(runs[1].missedSlots, 4)
    assert.lengthOf(await Job.query().where('kind', 'backup'), 2)
  })

  test('second controller cannot fire a claimed slot', async ({ assert }) => {
    const { resource, destination } = await createBackupSetup()
    resource.backupEnabled = true
    await resource.save()
    const start = DateTime.fromISO('2027-05-10T03:00:00Z')
    const schedule = await createSchedule({
      scopeType: 'resource',
      scopeId: resource.id,
      destinationId: destination.id,
      cron: '0 3 * * *',
      createdAt: start.minus({ days: 1 }),
    })

    await tick(start)
    // A second controller still reads the schedule as it was before the first one fired it.
    await db.from('schedules').where('id', schedule.id).update({ last_slot_at: null })
    await tick(start.plus({ seconds: 30 }))

    assert.lengthOf(await ScheduleRun.query().where('schedule_id', schedule.id), 1)
    assert.lengthOf(await Job.query().where('kind', 'backup'), 1)
  })

  test('most specific scope wins', async ({ assert }) => {
    const { resource, destination } = await createBackupSetup()
    resource.backupEnabled = true
    await resource.save()
    const start = DateTime.fromISO('2027-05-10T03:00:00Z')
    const broad = await createSchedule({
      name: 'instance',
      scopeType: 'instance',
      scopeId: resource.instanceId,
      destinationId: destination.id,
      cron: '0 3 * * *',
      createdAt: start.minus({ days: 1 }),
    })
    const narrow = await createSchedule({
      name: 'resource',
      scopeType: 'resource',
      scopeId: resource.id,
      destinationId: destination.id,
      cron: '0 3 * * *',
      createdAt: start.minus({ days: 1 }),
    })

    await tick(start)

    const broadRun = await ScheduleRun.query().where('schedule_id', broad.id).firstOrFail()
    const narrowRun = await ScheduleRun.query().where('schedule_id', narrow.id).firstOrFail()
    assert.lengthOf(broadRun.jobIds, 0)
    assert.lengthOf(narrowRun.jobIds, 1)
  })

  test('panel warns when nothing will run', async ({ client }) => {
    const viewer = await createUser('viewer')
    const { resource } = await createBackupSetup()
    resource.backupEnabled = true
    await resource.save()

    const page = await client.get('/schedules').loginAs(viewer)
    page.assertStatus(200)
    page.assertTextIncludes('nothing will run')
    page.assertTextIncludes(resource.name)
  })

  test('form validates cron with the parser', async ({ client, assert }) => {
    const admin = await createUser('admin')
    const { resource, destination } = await createBackupSetup()
    const form = {
      name: 'bad',
      scopeType: 'resource',
      scopeId: resource.id,
      destinationId: destination.id,
      mode: 'versioned',
      daily: 7,
      weekly: 4,
      monthly: 6,
      yearly: 1,
    }

    await client
      .post('/schedules')
      .form({ ...form, cron: '61 * * * *' })
      .withCsrfToken()
      .loginAs(admin)
      .redirects(0)
    assert.isNull(await Schedule.query().first())

    await client
      .post('/schedules')
      .form({ ...form, name: 'good', cron: '0 4 L * *' })
      .withCsrfToken()
      .loginAs(admin)
      .redirects(0)
    const schedule = await Schedule.query().firstOrFail()
    assert.equal(schedule.cron, '0 4 L * *')

    const page = await client.get('/schedules').loginAs(admin)
    page.assertTextIncludes('04:00')
  })
})

test.group('Scheduler: overdue', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => {
    const saved = { ...webhookDelivery }
    webhookDelivery.backoffMs = 10
    return () => {
      Object.assign(webhookDelivery, saved)
    }
  })

  test('queued run alerts once when overdue', async ({ assert }) => {
    const receiver = await startWebhookReceiver()
    await settings.setSecret(BACKUP_SETTING_KEYS.webhookUrl, receiver.url)
    const { resource, destination } = await createBackupSetup()
    resource.backupEnabled = true
    await resource.save()
    const start = DateTime.fromISO('2027-05-10T03:00:00Z')
    await createSchedule({
      scopeType: 'resource',
      scopeId: resource.id,
      destinationId: destination.id,
      cron: '0 3 * * *',
      createdAt: start.minus({ days: 1 }),
    })

    await tick(start)
    await tick(start.plus({ minutes: 30 }))
    await settleAlertDeliveries()
    assert.lengthOf(receiver.received, 0)

    await tick(start.plus({ minutes: 61 }))
    await tick(start.plus({ minutes: 90 }))
    await settleAlertDeliveries()
    await receiver.close()

    assert.lengthOf(receiver.received, 1)
    const body = receiver.received[0].body
    assert.equal(body.coffer.event, 'schedule_overdue')
    assert.include(body.content, 'have not started')
    assert.equal(body.text, body.content)
    assert.equal(body.coffer.resource.name, resource.name)
    assert.equal(body.coffer.instance.name, 'lab')
  })

  test('slot without run alerts once', async ({ assert }) => {
    const receiver = await startWebhookReceiver()
    await settings.setSecret(BACKUP_SETTING_KEYS.webhookUrl, receiver.url)
    const { resource, destination } = await createBackupSetup()
    const start = DateTime.fromISO('2027-05-10T03:00:00Z')
    const schedule = await createSchedule({
      scopeType: 'resource',
      scopeId: resource.id,
      destinationId: destination.id,
      cron: '0 3 * * *',
      createdAt: start.minus({ days: 1 }),
    })

    const later = start.plus({ hours: 2 })
    await sweepOverdue([schedule], 'UTC', later)
    await sweepOverdue([schedule], 'UTC', later.plus({ minutes: 5 }))
    await settleAlertDeliveries()
    await receiver.close()

    assert.lengthOf(receiver.received, 1)
    assert.include(receiver.received[0].body.text, 'did not run')
    const alert = await Alert.query().where('kind', 'schedule_overdue').firstOrFail()
    assert.equal(alert.status, 'sent')
  })

  test('schedule runs stored with slot time', async ({ assert }) => {
    const { resource, destination } = await createBackupSetup()
    const start = DateTime.fromISO('2027-05-10T03:00:00Z')
    const schedule = await createSchedule({
      scopeType: 'resource',
      scopeId: resource.id,
      destinationId: destination.id,
      cron: '0 3 * * *',
      createdAt: start.minus({ days: 1 }),
    })
    await tick(start.plus({ minutes: 1 }))

    const run = await ScheduleRun.query().where('schedule_id', schedule.id).firstOrFail()
    assert.equal(run.runKey, `${schedule.id}@2027-05-10T03:00:00.000Z`)
    assert.lengthOf(run.jobIds, 0)
    assert.equal(toDbTime(run.slotAt), toDbTime(start.toLocal()))
  })
})
