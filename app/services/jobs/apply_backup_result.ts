import { DateTime } from 'luxon'
import type Agent from '#models/agent'
import type Job from '#models/job'
import Snapshot from '#models/snapshot'
import type { JobCompletion } from '#services/jobs/complete_job'

/**
 * Fills the snapshot record of a backup job from the agent's report. A job reported successful
 * without a snapshot whose artifacts all have a size and digest is recorded as failed: a backup
 * that cannot be restored is never a success.
 */
export async function applyBackupResult(
  job: Job,
  _agent: Agent,
  completion: JobCompletion,
  trx: any
) {
  const snapshot = await Snapshot.query({ client: trx }).where('id', job.payload.snapshotId).first()

  if (!snapshot) {
    return { status: completion.status, error: completion.error ?? null }
  }

  snapshot.useTransaction(trx)
  const reported = (completion.result?.snapshots ?? [])[0]
  const completionStatus = completion.status

  if (completionStatus !== 'succeeded' && completionStatus !== 'succeeded_with_warnings') {
    snapshot.merge({
      status: 'failed',
      error: completion.error?.message ?? `The job ended as ${completionStatus}.`,
      finishedAt: DateTime.now(),
    })
    await snapshot.save()
    return { status: completionStatus, error: completion.error ?? null }
  }

  if (!isCompleteSnapshot(reported)) {
    const error = {
      code: 'INCOMPLETE_RESULT',
      message:
        'The agent reported success but sent no complete snapshot (artifacts with sizes and digests), so the backup is recorded as failed.',
    }
    snapshot.merge({ status: 'failed', error: error.message, finishedAt: DateTime.now() })
    await snapshot.save()
    return { status: 'failed' as const, error }
  }

  const warnings = reported.warnings ?? []
  const status: 'succeeded' | 'succeeded_with_warnings' =
    warnings.length > 0 ? 'succeeded_with_warnings' : completionStatus
  snapshot.merge({
    status,
    engineSnapshotId: reported.snapshot.engineSnapshotId ?? null,
    artifacts: reported.snapshot.artifacts,
    stats: reported.stats ?? null,
    warnings,
    sizeBytes: storedSize(reported),
    finishedAt: DateTime.now(),
  })
  await snapshot.save()
  return { status, error: null }
}

/**
 * Bytes the snapshot added at the destination: its artifacts, or the engine's count of stored
 * bytes when that is larger (a restic snapshot's data lives in the shared repository, not in
 * its artifacts).
 */
function storedSize(reported: any) {
  const artifacts = reported.snapshot.artifacts.reduce(
    (sum: number, artifact: { size: number }) => sum + artifact.size,
    0
  )
  const stored = Number(reported.stats?.bytesStored ?? 0)
  return Math.max(artifacts, Number.isFinite(stored) ? stored : 0)
}

/** Checks that a reported snapshot names at least one artifact, each with a size and a digest. */
function isCompleteSnapshot(reported: any) {
  const artifacts = reported?.snapshot?.artifacts
  if (!Array.isArray(artifacts) || artifacts.length === 0) {
    return false
  }
  return artifacts.every(
    (artifact: any) =>
      typeof artifact?.key === 'string' &&
      Number.isInteger(artifact?.size) &&
      artifact.size >= 0 &&
      /^[0-9a-f]{64}$/.test(artifact?.sha256 ?? '')
  )
}
