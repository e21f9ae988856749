import type { HostileArtifactsHook, HostileKind } from '@coffer/sdk'

/**
 * Why this harness builds no restic snapshot of each hostile kind. Only a crafted repository
 * contains such nodes, and writing one means writing restic's encrypted repository format.
 * hostile_restore.test.ts runs the restore guard on `restic ls --json` listings of each kind
 * instead.
 */
export const HOSTILE_KIND_REASONS: Record<HostileKind, string> = {
  'dotdot':
    'restic keeps one path component per node name, and its restorer rejects a name with ".."',
  'absolute':
    'restic keeps one path component per node name, and its restorer rejects a name with "/"',
  'through-symlink':
    "a file below a link needs a link and a folder of one name in one tree, which restic's archiver never writes",
  'folder-replaced-by-link':
    "a folder and a link of one name in one tree come only from a crafted repository, not from restic's archiver",
  'hardlink-outside':
    'restic keeps a hard link as an inode number, not a path, and links it only to a name restored in the same run',
}

/** Returns null for every kind, after logging why no restic snapshot of it is built. */
const hostileArtifacts: HostileArtifactsHook = async (hostileCase, context) => {
  context.log('info', `no restic snapshot of kind ${hostileCase.kind}`, {
    reason: HOSTILE_KIND_REASONS[hostileCase.kind],
  })
  return null
}

export default hostileArtifacts
