import type { EngineContext, ForgetRequest } from '@coffer/sdk'
import { ResticRepository } from './repository.js'
import type { ResticEngineConfig } from './repository.js'
import { listResticSnapshots } from './snapshots.js'
import { decodeTags, SNAPSHOT_TAG } from './tags.js'

/**
 * Forgets the snapshots the host chose and prunes the data only they used
 * (`restic forget --prune`). Snapshots already gone are skipped, so a retried call succeeds.
 */
export async function forget(
  context: EngineContext,
  config: ResticEngineConfig,
  request: ForgetRequest
): Promise<void> {
  if (request.snapshots.length === 0) {
    return
  }

  const repository = await ResticRepository.open(context, config, {
    create: false,
    removeStaleLocks: true,
  })
  try {
    const stored = await listResticSnapshots(repository)
    const ids = new Set<string>()
    for (const ref of request.snapshots) {
      const matches = stored.filter((snapshot) =>
        ref.engineSnapshotId === undefined
          ? decodeTags(snapshot.tags ?? [])[SNAPSHOT_TAG] === ref.id
          : snapshot.id === ref.engineSnapshotId
      )
      if (matches.length === 0) {
        context.log('warn', 'snapshot to forget is already gone', {
          snapshotId: ref.id,
          engineSnapshotId: ref.engineSnapshotId,
        })
      }

      for (const match of matches) {
        ids.add(match.id)
      }
    }

    if (ids.size === 0) {
      return
    }

    context.log('info', 'restic forget started', { snapshots: ids.size })
    await repository.run('forget', ['--prune', ...ids])
    context.log('info', 'restic forget finished', { snapshots: ids.size })
  } finally {
    await repository.close()
  }
}
