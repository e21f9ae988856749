import type { EngineContext, ForgetRequest } from '@coffer/sdk'
import { assertSnapshotId, SNAPSHOTS_PREFIX } from './layout.js'

/**
 * Deletes the artifacts of the given snapshots: the metadata first, so a half-deleted snapshot
 * no longer lists as complete, then every other artifact. Only keys inside each snapshot's own
 * folder are deleted.
 */
export async function forgetSnapshots(
  context: EngineContext,
  request: ForgetRequest
): Promise<void> {
  for (const snapshot of request.snapshots) {
    assertSnapshotId(snapshot.id)
    const folder = `${SNAPSHOTS_PREFIX}${snapshot.id}/`
    const keys = snapshot.artifacts
      .map((artifact) => artifact.key)
      .filter((key) => key.startsWith(folder))
    keys.sort(
      (left, right) =>
        Number(right.endsWith('/snapshot.json')) - Number(left.endsWith('/snapshot.json'))
    )

    for (const key of keys) {
      await context.storage.delete(key, { signal: context.signal })
    }
    context.log('info', 'snapshot forgotten', { snapshotId: snapshot.id, artifacts: keys.length })
  }
}
