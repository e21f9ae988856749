import path from 'node:path'
import type { HostileCase } from '@coffer/sdk'
import { isPlainName } from '../src/restore_guard.js'

/** Volume root name of the synthetic snapshots. */
export const ROOT_NAME = 'vol'

/** A file in every synthetic snapshot besides the hostile entries, which restore must keep. */
export const KEPT_FILE = 'kept.txt'

/** Returns one line of `restic ls --json` (restic 0.14 fields) for a node. */
export function lsLine(
  type: string,
  snapshotPath: string,
  name = path.posix.basename(snapshotPath)
) {
  return JSON.stringify({
    name,
    type,
    path: snapshotPath,
    uid: 0,
    gid: 0,
    ...(type === 'file' ? { size: 0 } : {}),
    mode: type === 'dir' ? 2147484141 : 420,
    mtime: '2026-01-01T00:00:00Z',
    struct_type: 'node',
  })
}

/**
 * Writes a kit hostile case as the listing `restic ls --json` would print for a crafted restic
 * tree. A member name that is not normalised becomes one node of that name in the volume root,
 * listed at `path.Join` of the two, as restic prints it. A member below a folder gets a folder
 * node for each parent (restic keeps children only in folder nodes), even where the case also
 * lists a link of that name. A hard link becomes a plain file node, because restic stores hard
 * links as inode numbers, not as link targets.
 */
export function hostileListing(hostileCase: HostileCase): string[] {
  const lines = [lsLine('dir', `/${ROOT_NAME}`), lsLine('file', `/${ROOT_NAME}/${KEPT_FILE}`)]
  const folders = new Set<string>()
  for (const entry of hostileCase.entries) {
    if (!isNormalized(entry.path)) {
      const listed = path.posix.join(`/${ROOT_NAME}`, entry.path)
      lines.push(lsLine(entry.type === 'directory' ? 'dir' : 'file', listed, entry.path))
      continue
    }

    const segments = entry.path.split('/')
    for (let depth = 1; depth < segments.length; depth++) {
      const folder = `/${ROOT_NAME}/${segments.slice(0, depth).join('/')}`
      if (!folders.has(folder)) {
        folders.add(folder)
        lines.push(lsLine('dir', folder))
      }
    }

    const listed = `/${ROOT_NAME}/${entry.path}`
    if (entry.type === 'directory') {
      if (folders.has(listed)) {
        continue
      }

      folders.add(listed)
    }

    lines.push(lsLine(resticType(entry.type), listed))
  }

  return lines
}

/**
 * Returns the error output and exit code of restic 0.14's `restore` for the case: its restorer
 * rejects each node whose name is not one path component, once in each of its two passes.
 */
export function hostileRestoreOutput(hostileCase: HostileCase): {
  stderr: string
  exitCode: number
} {
  const rejected = hostileCase.entries.filter((entry) => !isNormalized(entry.path))
  if (rejected.length === 0) {
    return { stderr: '', exitCode: 0 }
  }

  const lines = rejected.map(
    (entry) => `ignoring error for /${ROOT_NAME}: invalid child node name ${entry.path}\n`
  )
  return {
    stderr: `${lines.join('')}${lines.join('')}There were ${lines.length * 2} errors\n\n`,
    exitCode: 1,
  }
}

function isNormalized(member: string): boolean {
  return member.split('/').every(isPlainName)
}

function resticType(type: HostileCase['entries'][number]['type']): string {
  if (type === 'directory') return 'dir'
  if (type === 'symlink') return 'symlink'
  return 'file'
}
