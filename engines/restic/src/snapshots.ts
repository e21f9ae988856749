import path from 'node:path'
import { CofferError } from '@coffer/sdk'
import type { SnapshotRef, StoredSnapshot } from '@coffer/sdk'
import type { ResticRepository } from './repository.js'
import { decodeTags, encodeTag, SNAPSHOT_TAG } from './tags.js'

/** A snapshot as `restic snapshots --json` prints it (the fields the engine reads). */
export interface ResticSnapshot {
  id: string
  short_id?: string
  time: string
  paths: string[]
  hostname?: string
  tags?: string[]
}

/** Lists the repository's snapshots, optionally only those with the given restic tag. */
export async function listResticSnapshots(
  repository: ResticRepository,
  tag?: string
): Promise<ResticSnapshot[]> {
  const lines: string[] = []
  const args = ['--json']
  if (tag !== undefined) {
    args.push('--tag', tag)
  }

  await repository.run('snapshots', args, { onLine: (line) => lines.push(line) })
  const text = lines.join('\n').trim()
  if (text === '' || text === 'null') {
    return []
  }

  return JSON.parse(text) as ResticSnapshot[]
}

/** Converts a restic snapshot into the contract's form, with Coffer's id taken from its tag. */
export function toStoredSnapshot(snapshot: ResticSnapshot): StoredSnapshot {
  const tags = decodeTags(snapshot.tags ?? [])
  const id = tags[SNAPSHOT_TAG]
  delete tags[SNAPSHOT_TAG]

  const stored: StoredSnapshot = {
    engineSnapshotId: snapshot.id,
    time: new Date(snapshot.time),
    tags,
  }
  if (id !== undefined) {
    stored.id = id
  }

  return stored
}

/**
 * Finds the restic snapshot of a Coffer snapshot: by `engineSnapshotId` when set, else by
 * Coffer's id tag. Rejects with code `NOT_FOUND` when the repository has no such snapshot.
 */
export async function findSnapshot(
  repository: ResticRepository,
  ref: SnapshotRef
): Promise<ResticSnapshot> {
  const candidates = await listResticSnapshots(repository, encodeTag(SNAPSHOT_TAG, ref.id))
  const match =
    ref.engineSnapshotId === undefined
      ? candidates[0]
      : candidates.find((snapshot) => snapshot.id === ref.engineSnapshotId)

  if (match === undefined) {
    throw new CofferError(
      'NOT_FOUND',
      `snapshot ${ref.id}${ref.engineSnapshotId ? ` (restic ${ref.engineSnapshotId.slice(0, 8)})` : ''} is not in the restic repository at ${repository.name}. It may have been forgotten; list the snapshots again`,
      { details: { snapshotId: ref.id, engineSnapshotId: ref.engineSnapshotId } }
    )
  }

  return match
}

/**
 * Returns the name of the snapshot's top folder: the engine backs up a volume as its base name
 * from the parent folder, so the volume root's own owner, mode and times are stored too.
 */
export function rootNameOf(snapshot: ResticSnapshot): string {
  const sourcePath = snapshot.paths[0]
  if (sourcePath === undefined || snapshot.paths.length !== 1) {
    throw new CofferError(
      'UNSUPPORTED',
      `restic snapshot ${snapshot.id.slice(0, 8)} has ${snapshot.paths.length} source paths; the restic engine reads only snapshots of one volume that it wrote itself`
    )
  }

  return path.posix.basename(sourcePath)
}
