import { randomUUID } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import ScheduleRun from '#models/schedule_run'
import { toDbTime } from '#services/db_time'

/**
 * Claims a run key: inserts the run unless one with that key exists, and returns it only to the
 * caller whose insert won. With several controllers, exactly one of them gets the run.
 */
export async function claimRun(
  runKey: string,
  fields: { scheduleId?: string | null; slotAt: DateTime; missedSlots?: number }
) {
  const id = randomUUID()
  const now = toDbTime(DateTime.now())
  await db
    .knexQuery()
    .table('schedule_runs')
    .insert({
      id,
      run_key: runKey,
      schedule_id: fields.scheduleId ?? null,
      slot_at: toDbTime(fields.slotAt.toLocal()),
      missed_slots: fields.missedSlots ?? 0,
      job_ids: '[]',
      created_at: now,
      updated_at: now,
    })
    .onConflict('run_key')
    .ignore()

  const run = await ScheduleRun.findBy('runKey', runKey)
  return run?.id === id ? run : null
}
