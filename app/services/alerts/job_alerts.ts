import type Job from '#models/job'
import Resource from '#models/resource'
import Snapshot from '#models/snapshot'
import { clearAlertKey, raiseAlert } from '#services/alerts/raise_alert'

/**
 * Raises the alerts a finished job calls for: a failed backup, or snapshots a verification found
 * missing. A snapshot found present again clears its alert, so a later loss alerts again.
 */
export async function alertOnJobFinished(job: Job) {
  if (job.kind === 'backup' && job.status === 'failed') {
    await alertBackupFailed(job)
  }

  if (job.kind === 'verify') {
    const verified: { id: string; present: boolean }[] = job.result?.verified ?? []
    for (const entry of verified) {
      if (entry.present) {
        await clearAlertKey(`snapshot_missing:${entry.id}`)
        continue
      }
      await alertSnapshotMissing(entry.id, job)
    }
  }
}

/** Raises a `backup_failed` alert for a backup job, once per job. */
export async function alertBackupFailed(job: Job) {
  const resource = job.resourceId ? await Resource.find(job.resourceId) : null
  const volume = job.payload?.volumeLabel ? ` (volume ${job.payload.volumeLabel})` : ''
  await raiseAlert({
    kind: 'backup_failed',
    dedupeKey: `backup_failed:${job.id}`,
    title: `Backup failed: ${resource?.name ?? 'unknown resource'}`,
    message: `The backup of ${resource?.name ?? 'a resource'}${volume} failed: ${job.error?.message ?? 'no reason was reported'}`,
    instanceId: resource?.instanceId ?? null,
    resourceId: resource?.id ?? null,
    jobId: job.id,
    snapshotId: job.snapshotId,
  })
}

async function alertSnapshotMissing(snapshotId: string, job: Job) {
  const snapshot = await Snapshot.find(snapshotId)
  if (!snapshot) {
    return
  }
  const resource = snapshot.resourceId ? await Resource.find(snapshot.resourceId) : null
  await raiseAlert({
    kind: 'snapshot_missing',
    dedupeKey: `snapshot_missing:${snapshot.id}`,
    title: `Snapshot missing: ${resource?.name ?? snapshot.volume}`,
    message: `The snapshot of ${snapshot.volume} from ${snapshot.startedAt.toUTC().toISO()} is no longer at its destination; it cannot be restored. Run a new backup and check the destination.`,
    instanceId: resource?.instanceId ?? null,
    resourceId: resource?.id ?? null,
    jobId: job.id,
    snapshotId: snapshot.id,
  })
}
