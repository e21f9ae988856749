import logger from '@adonisjs/core/services/logger'
import { DateTime } from 'luxon'
import Destination from '#models/destination'
import Instance from '#models/instance'
import Job from '#models/job'
import Schedule from '#models/schedule'
import ScheduleRun from '#models/schedule_run'
import { startBackup } from '#services/backups/start_backup'
import { alertBackupFailed } from '#services/alerts/job_alerts'
import { raiseAlert } from '#services/alerts/raise_alert'
import { syncCoolifyInstance } from '#services/coolify/sync_coolify_instance'
import { reconcileAllDestinations } from '#services/reconciliation/reconcile_destination'
import { applyScheduleRetention, cleanFailedSnapshots } from '#services/retention/apply_retention'
import { scheduleTimezone } from '#services/schedules/backup_settings'
import { claimRun } from '#services/schedules/claim_run'
import { nextRun, parseCron, previousRun } from '#services/schedules/cron_expression'
import { scheduledResources } from '#services/schedules/schedule_scope'
import { toDbTime } from '#services/db_time'

/** Time after a slot before a run that has not started counts as overdue. */
export const OVERDUE_GRACE = { minutes: 60 }

/** Interval of the periodic Coolify sync, in minutes. */
export const COOLIFY_SYNC_MINUTES = 15

/** Missed slots counted when a run catches up; beyond this the count is capped. */
const MAX_COUNTED_MISSED_SLOTS = 1000

/**
 * One pass of the scheduler at `now`: fires due schedule slots, applies retention, sweeps for
 * overdue runs, and runs the daily reconciliation and the periodic Coolify sync. The loop calls
 * it every 30 seconds; tests call it with a controlled clock. Each step logs and survives the
 * failure of another.
 */
export async function tick(now: DateTime = DateTime.now()) {
  const zone = await scheduleTimezone()
  const schedules = await Schedule.query().where('enabled', true).orderBy('created_at')

  await guard('fire schedules', () => fireDueSchedules(schedules, zone, now))
  await guard('retention', () => applyRetention(schedules, zone))
  await guard('overdue sweep', () => sweepOverdue(schedules, zone, now))
  await guard('daily tasks', () => runDailyTasks(zone, now))
  await guard('coolify sync', () => syncCoolifyPeriodically(now))
}

async function guard(step: string, task: () => Promise<unknown>) {
  try {
    await task()
  } catch (error) {
    logger.error({ err: error, step }, 'scheduler step failed')
  }
}

/**
 * Fires the latest due slot of each schedule once. A controller that was down runs the newest
 * missed slot once and records how many it skipped, rather than once per missed slot.
 */
export async function fireDueSchedules(schedules: Schedule[], zone: string, now: DateTime) {
  for (const schedule of schedules) {
    let expression
    try {
      expression = parseCron(schedule.cron)
    } catch (error) {
      logger.error(
        { scheduleId: schedule.id, err: error },
        'schedule has an invalid cron expression'
      )
      continue
    }

    const slot = previousRun(expression, zone, now)
    const anchor = schedule.lastSlotAt ?? schedule.createdAt
    if (!slot || slot.toMillis() <= anchor.toMillis()) {
      continue
    }

    const missedSlots = countSlotsBetween(expression, zone, anchor, slot)
    const run = await claimRun(`${schedule.id}@${slot.toUTC().toISO()}`, {
      scheduleId: schedule.id,
      slotAt: slot,
      missedSlots,
    })

    schedule.lastSlotAt = slot.toLocal()
    await schedule.save()
    if (!run) {
      continue
    }

    run.jobIds = await runSchedule(schedule, schedules)
    await run.save()
    logger.info(
      { scheduleId: schedule.id, slot: slot.toISO(), missedSlots, jobs: run.jobIds.length },
      'schedule fired'
    )
  }
}

/** Counts the slots strictly between `after` and `slot` (the missed ones), capped. */
function countSlotsBetween(
  expression: ReturnType<typeof parseCron>,
  zone: string,
  after: DateTime,
  slot: DateTime
) {
  let count = 0
  let cursor = nextRun(expression, zone, after)
  while (cursor && cursor.toMillis() < slot.toMillis() && count < MAX_COUNTED_MISSED_SLOTS) {
    count++
    cursor = nextRun(expression, zone, cursor)
  }
  return count
}

/** Queues the backups of one schedule's resources and alerts for jobs that failed at once. */
async function runSchedule(schedule: Schedule, schedules: Schedule[]) {
  const destination = await Destination.find(schedule.destinationId)
  if (!destination) {
    logger.error({ scheduleId: schedule.id }, 'schedule destination was removed')
    return []
  }

  const resources = await scheduledResources(schedule, schedules)
  const jobIds: string[] = []
  for (const resource of resources) {
    const jobs = await startBackup(resource, destination, `schedule:${schedule.name}`)
    for (const job of jobs) {
      jobIds.push(job.id)
      if (job.status === 'failed') {
        await alertBackupFailed(job)
      }
    }
  }
  return jobIds
}

/** Applies each schedule's retention to its resources' snapshots. */
async function applyRetention(schedules: Schedule[], zone: string) {
  for (const schedule of schedules) {
    const resources = await scheduledResources(schedule, schedules)
    await applyScheduleRetention(schedule, resources, zone)
  }
}

/**
 * Alerts once for each overdue slot: a run whose backups were still queued an hour after its
 * slot, or a slot that passed an hour ago with no run at all (no controller fired it).
 */
export async function sweepOverdue(schedules: Schedule[], zone: string, now: DateTime) {
  const cutoff = now.minus(OVERDUE_GRACE)

  const runs = await ScheduleRun.query()
    .whereNotNull('schedule_id')
    .whereNull('overdue_alerted_at')
    .where('slot_at', '<', toDbTime(cutoff.toLocal()))
  for (const run of runs) {
    const waiting = run.jobIds.length
      ? await Job.query().whereIn('id', run.jobIds).where('status', 'queued')
      : []
    if (waiting.length === 0) {
      continue
    }

    run.overdueAlertedAt = DateTime.now()
    await run.save()
    const schedule = schedules.find((entry) => entry.id === run.scheduleId)
    await alertOverdue(schedule ?? null, run.slotAt, waiting, zone)
  }

  for (const schedule of schedules) {
    const slot = previousRun(parseCron(schedule.cron), zone, cutoff)
    const ran = schedule.lastSlotAt && schedule.lastSlotAt.toMillis() >= (slot?.toMillis() ?? 0)
    if (!slot || ran || slot.toMillis() <= schedule.createdAt.toMillis()) {
      continue
    }
    await alertOverdue(schedule, slot, [], zone)
  }
}

async function alertOverdue(
  schedule: Schedule | null,
  slot: DateTime,
  waiting: Job[],
  zone: string
) {
  const name = schedule?.name ?? 'a removed schedule'
  const when = slot.setZone(zone).toFormat('yyyy-MM-dd HH:mm ZZZZ')
  const first = waiting[0]
  const resource = first?.resourceId ? await first.related('resource').query().first() : null
  const message = waiting.length
    ? `${waiting.length} backup(s) of schedule ${name} for ${when} have not started: no agent leased them. Check that the agents of the servers are online.`
    : `Schedule ${name} did not run for ${when}: no controller fired it. Check that the controller is running.`

  await raiseAlert({
    kind: 'schedule_overdue',
    dedupeKey: `schedule_overdue:${schedule?.id ?? 'removed'}@${slot.toUTC().toISO()}`,
    title: `Schedule overdue: ${name}`,
    message,
    instanceId: resource?.instanceId ?? null,
    resourceId: resource?.id ?? null,
    jobId: first?.id ?? null,
    scheduleId: schedule?.id ?? null,
  })
}

/** Once per day in the configured timezone: reconciliation and cleanup of failed attempts. */
async function runDailyTasks(zone: string, now: DateTime) {
  const day = now.setZone(zone).toISODate()
  const run = await claimRun(`daily:${day}`, { slotAt: now })
  if (!run) {
    return
  }

  const jobs = await reconcileAllDestinations('reconciliation')
  run.jobIds = jobs.map((job) => job.id)
  await run.save()
  await cleanFailedSnapshots(now)
}

/** Syncs each connected Coolify instance every COOLIFY_SYNC_MINUTES minutes. */
async function syncCoolifyPeriodically(now: DateTime) {
  const period = Math.floor(now.toMillis() / (COOLIFY_SYNC_MINUTES * 60_000))
  const instances = await Instance.query().where('kind', 'coolify').whereNotNull('coolify_token')

  for (const instance of instances) {
    const run = await claimRun(`coolify-sync:${instance.id}:${period}`, { slotAt: now })
    if (!run) {
      continue
    }
    await syncCoolifyInstance(instance).catch(() => {
      // syncCoolifyInstance logs the failure and stores it on the instance for the panel.
    })
  }
}
