import logger from '@adonisjs/core/services/logger'
import type { DateTime } from 'luxon'
import type Resource from '#models/resource'
import type Schedule from '#models/schedule'
import Snapshot from '#models/snapshot'
import { startForget } from '#services/backups/snapshot_jobs'
import { planRetention } from '#services/retention/plan_retention'
import { toDbTime } from '#services/db_time'

/** How long failed attempts stay listed before they are cleaned up, in days. */
export const FAILED_SNAPSHOT_DAYS = 7

/**
 * Applies a schedule's retention to the snapshots Coffer recorded for its resources at its
 * destination, one plan per volume, and queues a forget job per snapshot to remove. Never lists
 * the destination: files Coffer did not record there are not touched. Returns the ids queued.
 */
export async function applyScheduleRetention(
  schedule: Schedule,
  resources: Resource[],
  zone: string
) {
  const forgotten: string[] = []

  for (const resource of resources) {
    const snapshots = await Snapshot.query()
      .where('resource_id', resource.id)
      .where('destination_id', schedule.destinationId)

    const volumes = new Set(snapshots.map((snapshot) => snapshot.volume))
    for (const volume of volumes) {
      const ofVolume = snapshots.filter((snapshot) => snapshot.volume === volume)
      const plan = planRetention(
        ofVolume.map((snapshot) => ({
          id: snapshot.id,
          status: snapshot.status,
          recordedAt: snapshot.startedAt,
        })),
        schedule.retention,
        zone,
        schedule.mode
      )

      for (const id of plan.forget) {
        const snapshot = ofVolume.find((entry) => entry.id === id)!
        if (await claimForDeletion(snapshot)) {
          await startForget(snapshot, 'retention')
          forgotten.push(id)
        }
      }
    }
  }

  if (forgotten.length > 0) {
    logger.info({ scheduleId: schedule.id, snapshots: forgotten }, 'retention queued forget jobs')
  }
  return forgotten
}

/**
 * Cleans up failed attempts older than FAILED_SNAPSHOT_DAYS: a record without artifacts is
 * removed, one with artifacts gets a forget job. Good snapshots are never touched here.
 */
export async function cleanFailedSnapshots(now: DateTime) {
  const cutoff = now.minus({ days: FAILED_SNAPSHOT_DAYS })
  const failed = await Snapshot.query()
    .where('status', 'failed')
    .where('started_at', '<', toDbTime(cutoff.toLocal()))

  for (const snapshot of failed) {
    if (snapshot.artifacts.length === 0) {
      await snapshot.delete()
      continue
    }
    if (await claimForDeletion(snapshot)) {
      await startForget(snapshot, 'retention')
    }
  }
  return failed.length
}

/**
 * Moves a snapshot to `deleting` only if its status did not change since it was read, so two
 * controllers never queue the same deletion.
 */
async function claimForDeletion(snapshot: Snapshot) {
  const result: unknown = await Snapshot.query()
    .where('id', snapshot.id)
    .where('status', snapshot.status)
    .update({ status: 'deleting' })
  const affected = Array.isArray(result) ? Number(result[0]) : Number(result)
  return affected === 1
}
