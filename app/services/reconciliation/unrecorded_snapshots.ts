import { DateTime } from 'luxon'
import Destination, { type UnrecordedSnapshot } from '#models/destination'
import Snapshot from '#models/snapshot'

/**
 * Records which of the snapshots an agent listed at a destination Coffer has no record of. A
 * listed snapshot is known when its Coffer id or its engine id matches a recorded snapshot of
 * that destination. The report keeps at most 1000 entries, replaces the previous one, and changes
 * nothing at the destination.
 */
export async function recordUnrecordedSnapshots(
  destinationId: string,
  listed: UnrecordedSnapshot[],
  trx: any
) {
  const destination = await Destination.find(destinationId, { client: trx })
  if (!destination) {
    return
  }

  const recorded = await Snapshot.query({ client: trx })
    .where('destination_id', destinationId)
    .select('id', 'engine_snapshot_id')
  const ids = new Set(recorded.map((snapshot) => snapshot.id))
  const engineIds = new Set(recorded.map((snapshot) => snapshot.engineSnapshotId).filter(Boolean))

  destination.unrecordedSnapshots = listed.filter(
    (entry) =>
      !(entry.id && ids.has(entry.id)) &&
      !(entry.engineSnapshotId && engineIds.has(entry.engineSnapshotId))
  )
  destination.unrecordedCheckedAt = DateTime.now()
  destination.useTransaction(trx)
  await destination.save()
}

/** Reads the `listed` member of a reconciliation result, dropping entries of the wrong shape. */
export function listedSnapshots(result: unknown): UnrecordedSnapshot[] | null {
  const listed = (result as { listed?: unknown } | null)?.listed
  if (!Array.isArray(listed)) {
    return null
  }

  return listed
    .filter((entry) => entry && typeof entry === 'object' && typeof entry.time === 'string')
    .slice(0, 1000)
    .map((entry) => ({
      id: typeof entry.id === 'string' ? entry.id : null,
      engineSnapshotId: typeof entry.engineSnapshotId === 'string' ? entry.engineSnapshotId : null,
      time: entry.time,
    }))
}
