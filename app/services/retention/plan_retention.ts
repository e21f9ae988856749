import type { DateTime } from 'luxon'
import type { RetentionPolicy, ScheduleMode } from '#models/schedule'

/** What retention needs to know of a snapshot. */
export interface RetentionCandidate {
  id: string
  status: string
  /** The time Coffer recorded for the snapshot (when its backup started). */
  recordedAt: DateTime
}

/** The outcome of a retention plan: which good snapshots to keep and which to forget. */
export interface RetentionPlan {
  keep: string[]
  forget: string[]
  /** Why each kept snapshot stays, for example `daily 2026-03-29`. */
  reasons: Record<string, string[]>
}

const BUCKET_FORMATS: { bucket: keyof RetentionPolicy; format: string }[] = [
  { bucket: 'daily', format: 'yyyy-MM-dd' },
  { bucket: 'weekly', format: "kkkk-'W'WW" },
  { bucket: 'monthly', format: 'yyyy-MM' },
  { bucket: 'yearly', format: 'yyyy' },
]

/** Whether a snapshot is a verified success: its backup reported complete artifacts. */
export function isGoodSnapshot(candidate: { status: string }) {
  return candidate.status === 'succeeded' || candidate.status === 'succeeded_with_warnings'
}

/**
 * Plans grandfather-father-son retention over the snapshots of one volume at one destination.
 * Buckets are calendar days, ISO weeks, months and years in `zone`; the newest snapshot of each
 * bucket fills it, up to the policy's count per bucket kind. Only good snapshots fill buckets or
 * are forgotten: running, failed, missing and deleting ones are left out of the plan. The newest
 * good snapshot is always kept. In sync mode only the newest good snapshot is kept.
 */
export function planRetention(
  candidates: RetentionCandidate[],
  policy: RetentionPolicy,
  zone: string,
  mode: ScheduleMode = 'versioned'
): RetentionPlan {
  const good = candidates
    .filter(isGoodSnapshot)
    .sort((a, b) => b.recordedAt.toMillis() - a.recordedAt.toMillis() || b.id.localeCompare(a.id))

  const reasons: Record<string, string[]> = {}
  const addReason = (id: string, reason: string) => {
    reasons[id] = [...(reasons[id] ?? []), reason]
  }

  if (good.length === 0) {
    return { keep: [], forget: [], reasons }
  }
  addReason(good[0].id, 'newest')

  if (mode === 'versioned') {
    for (const { bucket, format } of BUCKET_FORMATS) {
      const limit = Math.max(0, Math.floor(policy[bucket] ?? 0))
      const filled = new Set<string>()
      for (const snapshot of good) {
        if (filled.size >= limit) {
          break
        }
        const key = snapshot.recordedAt.setZone(zone).toFormat(format)
        if (!filled.has(key)) {
          filled.add(key)
          addReason(snapshot.id, `${bucket} ${key}`)
        }
      }
    }
  }

  const keep = good.filter((snapshot) => reasons[snapshot.id]).map((snapshot) => snapshot.id)
  const forget = good.filter((snapshot) => !reasons[snapshot.id]).map((snapshot) => snapshot.id)
  return { keep, forget, reasons }
}
