import fs from 'node:fs/promises'
import path from 'node:path'
import type { Engine, EngineContext, RestoreResult, SnapshotRef } from '../contract.js'
import { compareTrees } from './compare_trees.js'
import { treeDigest, type TreeDigest } from './tree_digest.js'

/** The ways an archive entry can try to write outside the restore target. */
export type HostileKind =
  'dotdot' | 'absolute' | 'through-symlink' | 'folder-replaced-by-link' | 'hardlink-outside'

/** One entry of a hostile archive, in engine-neutral terms; paths are archive member names. */
export type HostileEntry =
  | { type: 'directory'; path: string }
  | { type: 'file'; path: string; content: string }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'hardlink'; path: string; target: string }

/** A hostile archive to build in the engine's own format, and the entries restore must reject. */
export interface HostileCase {
  kind: HostileKind
  description: string
  /** The snapshot id to give the artifact, unique for each restore the kit makes. */
  snapshotId: string
  /** Entries in archive order. */
  entries: HostileEntry[]
  /** Member names that must appear in `RestoreResult.rejected`. */
  expectRejected: string[]
}

/**
 * Optional hook of an engine's test harness: writes an artifact holding `hostileCase.entries`
 * in the engine's own format through `context.storage`, and returns the snapshot to restore.
 * Returns null for a kind the format cannot express. `engine` is the engine under test (under
 * `coffer-engine test`, the bundle in a child process), so a hook can write the archive through
 * the engine's own backup, as the tar engine's hook does with a `tar-stream` source.
 */
export type HostileArtifactsHook = (
  hostileCase: HostileCase,
  context: EngineContext,
  engine: Engine
) => Promise<SnapshotRef | null>

/** Folders of one hostile check: the restore target and a sibling that must never change. */
export interface HostileLayout {
  /** Parent of `target` and `outside`; the kit compares everything in it but `target`. */
  parent: string
  target: string
  /** A folder beside the target that holds `secret.txt`. */
  outside: string
}

/** Creates `parent/target` (empty) and `parent/outside/secret.txt`. */
export async function createHostileLayout(parent: string): Promise<HostileLayout> {
  const layout = {
    parent,
    target: path.join(parent, 'target'),
    outside: path.join(parent, 'outside'),
  }
  await fs.mkdir(layout.target, { recursive: true })
  await fs.mkdir(layout.outside, { recursive: true })
  await fs.writeFile(path.join(layout.outside, 'secret.txt'), 'must not change\n')
  return layout
}

/** The hostile archives every engine should reject, for a target laid out as `layout`. */
export function hostileCases(layout: HostileLayout): HostileCase[] {
  const secret = path.join(layout.outside, 'secret.txt')
  return [
    {
      kind: 'dotdot',
      snapshotId: 'conformance-hostile-dotdot',
      description: 'members whose path climbs out with ".."',
      entries: [
        { type: 'file', path: '../outside/dotdot.txt', content: 'escaped\n' },
        { type: 'file', path: 'inside/../../outside/dotdot-nested.txt', content: 'escaped\n' },
      ],
      expectRejected: ['../outside/dotdot.txt', 'inside/../../outside/dotdot-nested.txt'],
    },
    {
      kind: 'absolute',
      snapshotId: 'conformance-hostile-absolute',
      description: 'a member with an absolute path outside the target',
      entries: [{ type: 'file', path: path.join(layout.outside, 'absolute.txt'), content: 'x\n' }],
      expectRejected: [path.join(layout.outside, 'absolute.txt')],
    },
    {
      kind: 'through-symlink',
      snapshotId: 'conformance-hostile-through-symlink',
      description: 'a symbolic link to the outside folder, then a file below that link',
      entries: [
        { type: 'symlink', path: 'link', target: layout.outside },
        { type: 'file', path: 'link/through.txt', content: 'escaped\n' },
      ],
      expectRejected: ['link/through.txt'],
    },
    {
      kind: 'folder-replaced-by-link',
      snapshotId: 'conformance-hostile-folder-replaced-by-link',
      description: 'a folder, then a symbolic link of the same name to outside, then a file in it',
      entries: [
        { type: 'directory', path: 'dir' },
        { type: 'symlink', path: 'dir', target: layout.outside },
        { type: 'file', path: 'dir/replaced.txt', content: 'escaped\n' },
      ],
      expectRejected: ['dir/replaced.txt'],
    },
    {
      kind: 'hardlink-outside',
      snapshotId: 'conformance-hostile-hardlink-outside',
      description: 'hard links to a file outside the target, by absolute and by relative path',
      entries: [
        { type: 'hardlink', path: 'steal-absolute', target: secret },
        { type: 'hardlink', path: 'steal-relative', target: '../outside/secret.txt' },
      ],
      expectRejected: ['steal-absolute', 'steal-relative'],
    },
  ]
}

/** Digest of everything in `layout.parent` except the target, to compare before and after. */
export async function digestOutside(layout: HostileLayout): Promise<TreeDigest> {
  return treeDigest(layout.parent)
}

/**
 * Returns the problems of a restore into `layout.target`: changes outside the target (compared
 * with `before`), files inside sharing an inode with `outside/secret.txt`, and expected
 * rejections missing from `result`.
 */
export async function checkContained(
  layout: HostileLayout,
  before: TreeDigest,
  result: RestoreResult | undefined,
  expectRejected: string[]
): Promise<string[]> {
  const after = await digestOutside(layout)
  const skipTarget = (shown: string) => shown === '"target"' || shown.startsWith('"target/')
  const problems = compareTrees(before, after, {
    skipPath: skipTarget,
    labels: { expected: 'original', actual: 'current' },
  }).map((difference) => `outside the target changed: ${difference}`)

  const secret = await fs.stat(path.join(layout.outside, 'secret.txt'))
  if (secret.nlink !== 1) {
    problems.push(`outside/secret.txt has ${secret.nlink} links: restore created a hard link to it`)
  }

  if (result === undefined) {
    return problems
  }

  const rejected = new Set(result.rejected.map((entry) => normalizeMember(entry.path)))
  for (const member of expectRejected) {
    if (!rejected.has(normalizeMember(member))) {
      const reported = JSON.stringify(result.rejected.map((entry) => entry.path))
      problems.push(`entry ${JSON.stringify(member)} missing from rejected (reported: ${reported})`)
    }
  }

  return problems
}

function normalizeMember(member: string): string {
  return member.replace(/^\.\//, '').replace(/\/+$/, '')
}
