import path from 'node:path'
import { CofferError } from '@coffer/sdk'
import type { RejectedEntry } from '@coffer/sdk'
import { relativePath } from './nodes.js'
import type { ResticNode } from './nodes.js'

/*
 * What restic rejects by itself, read in internal/restorer/restorer.go of restic v0.14.0
 * (`traverseTree`, `RestoreTo`): a node whose name is not one plain path component (empty, `.`,
 * `..`, or containing `/`) is skipped with "invalid child node name". A hard link is only
 * re-created to a name restored earlier in the same run (`HardlinkIndex`), so it cannot point
 * outside the target. restic does not check for two nodes of one name in a tree. Its second pass
 * creates links and empty files in tree order, and `restoreEmptyFileAt` opens the path without
 * O_NOFOLLOW. So a link listed before an empty file of the same name makes restic write through
 * that link (read in the source, not reproduced). The guard below rejects such entries first.
 */

/** One node of `restic ls --json`, as the guard reads it. */
export type ListedNode = Pick<ResticNode, 'name' | 'type' | 'path'>

/** Node types restic 0.14 restores (`Node.CreateAt`), plus sockets, which it skips. */
const RESTORABLE_TYPES = new Set(['dir', 'file', 'symlink', 'dev', 'chardev', 'fifo', 'socket'])

/** The outcome of checking a snapshot's listing before a restore. */
export interface RestoreGuard {
  /** Entries that are not restored, with paths relative to the volume root. */
  rejected: RejectedEntry[]
  /** Snapshot paths that restic must not restore. None of them lies below another. */
  excluded: string[]
  /** Chosen paths still to restore, or undefined for the whole volume. */
  paths: string[] | undefined
  /** Names that restic's restorer rejects by itself, so its exit code 1 for them is accepted. */
  invalidNames: Set<string>
}

/**
 * Checks the nodes of a snapshot (from `restic ls --json`) before restoring the volume
 * `/<rootName>` or the chosen `paths` of it (normalised, relative to the volume root). Rejects
 * paths listed more than once, nodes of an unknown type, and nodes whose folder is rejected, not
 * listed, or not a folder, and so everything below a rejected node. Throws a `CofferError` with
 * code `CORRUPT` when the volume root itself is not listed as exactly one folder.
 */
export function guardRestore(
  nodes: Iterable<ListedNode>,
  rootName: string,
  paths: string[] | undefined
): RestoreGuard {
  const root = `/${rootName}`
  const typesByPath = new Map<string, string[]>()
  const invalidNames = new Set<string>()
  for (const node of nodes) {
    // restic lists `path.Join(folder, name)`, so only the name shows a `..` or a `/`.
    if (!isPlainName(node.name)) {
      invalidNames.add(node.name)
      continue
    }

    const types = typesByPath.get(node.path)
    if (types === undefined) {
      typesByPath.set(node.path, [node.type])
    } else {
      types.push(node.type)
    }
  }

  const rootTypes = typesByPath.get(root)
  if (rootTypes?.length !== 1 || rootTypes[0] !== 'dir') {
    throw new CofferError(
      'CORRUPT',
      `the snapshot lists its volume root ${root} as ${describeTypes(rootTypes)}, not as one folder, so nothing in it can be restored safely`
    )
  }

  // Sorted, a folder comes before everything below it, so a rejection reaches its children.
  const scoped = [...typesByPath.keys()].sort().filter((snapshotPath) => {
    const relative = relativePath(snapshotPath, rootName)
    return relative !== null && relative !== '' && isInScope(relative, paths)
  })

  const rejected = new Map<string, string>()
  const excluded: string[] = []
  for (const snapshotPath of scoped) {
    const reason = rejectionReason(snapshotPath, root, typesByPath, rejected)
    if (reason === null) {
      continue
    }

    rejected.set(snapshotPath, reason)
    if (!excluded.some((other) => isAtOrBelow(snapshotPath, other))) {
      excluded.push(snapshotPath)
    }
  }

  rejectPatternMatches(excluded, scoped, rejected, rootName)

  const remaining = paths?.filter(
    (chosen) => ![...rejected.keys()].some((entry) => isAtOrBelow(`${root}/${chosen}`, entry))
  )
  return {
    rejected: [...rejected].map(([snapshotPath, reason]) => ({
      path: relativePath(snapshotPath, rootName)!,
      reason,
    })),
    excluded:
      remaining === undefined
        ? excluded
        : excluded.filter((entry) =>
            remaining.some((chosen) => isAtOrBelow(entry, `${root}/${chosen}`))
          ),
    paths: remaining,
    invalidNames,
  }
}

/** Tells whether `name` is one path component: not empty, `.` or `..`, without `/` or NUL. */
export function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0')
}

function rejectionReason(
  snapshotPath: string,
  root: string,
  typesByPath: Map<string, string[]>,
  rejected: Map<string, string>
): string | null {
  const types = typesByPath.get(snapshotPath)!
  if (types.length > 1) {
    return `the snapshot lists this path ${types.length} times (${types.join(', ')}), so restic would create one entry over another`
  }

  if (!RESTORABLE_TYPES.has(types[0]!)) {
    return `the node type "${types[0]}" is not one restic restores`
  }

  // The parent was checked first, and a rejection higher up has already reached it.
  const parent = path.posix.dirname(snapshotPath)
  if (parent === root) {
    return null
  }

  const parentName = JSON.stringify(parent.slice(root.length + 1))
  if (rejected.has(parent)) {
    return `it is inside ${parentName}, which is rejected`
  }

  const parentTypes = typesByPath.get(parent)
  if (parentTypes === undefined) {
    return `its folder ${parentName} is not listed as an entry of the snapshot`
  }

  if (parentTypes[0] !== 'dir') {
    return `its path passes through ${parentName}, which is a ${parentTypes[0]}`
  }

  return null
}

/**
 * Rejects the entries that an exclusion pattern also matches. restic 0.14 prints each byte of a
 * name that is not valid UTF-8 as U+FFFD, and the pattern matches any one character there.
 */
function rejectPatternMatches(
  excluded: string[],
  scoped: string[],
  rejected: Map<string, string>,
  rootName: string
): void {
  for (const entry of excluded.filter((candidate) => candidate.includes('\uFFFD'))) {
    const matcher = replacementMatcher(entry)
    const excludedName = JSON.stringify(relativePath(entry, rootName))
    for (const snapshotPath of scoped) {
      if (!rejected.has(snapshotPath) && matcher.test(snapshotPath)) {
        rejected.set(
          snapshotPath,
          `restic lists bytes that are not valid UTF-8 as U+FFFD, so the pattern that keeps ${excludedName} out also matches this entry`
        )
      }
    }
  }
}

/** Matches a listed path, and the paths below it, with each U+FFFD standing for any character. */
function replacementMatcher(snapshotPath: string): RegExp {
  const source = [...snapshotPath]
    .map((character) =>
      character === '\uFFFD' ? '[^/]' : character.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
    )
    .join('')
  return new RegExp(`^${source}(?:/|$)`, 'u')
}

function isInScope(relative: string, paths: string[] | undefined): boolean {
  if (paths === undefined) {
    return true
  }

  // Folders above a chosen path are checked too, because restic restores the path through them.
  return paths.some(
    (chosen) =>
      relative === chosen || relative.startsWith(`${chosen}/`) || chosen.startsWith(`${relative}/`)
  )
}

function isAtOrBelow(snapshotPath: string, folder: string): boolean {
  return snapshotPath === folder || snapshotPath.startsWith(`${folder}/`)
}

function describeTypes(types: string[] | undefined): string {
  if (types === undefined) {
    return 'nothing'
  }

  return types.length === 1 ? `a ${types[0]}` : `${types.length} entries (${types.join(', ')})`
}
