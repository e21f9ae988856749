import type { RejectedEntry } from '@coffer/sdk'
import { escapePattern } from './link_targets.js'
import { relativePath } from './nodes.js'
import type { RestoreGuard } from './restore_guard.js'

/**
 * Returns the `restic restore` filter arguments for what the guard left to restore. restic (0.14
 * and later) accepts either `--include` or `--exclude` patterns in one run, never both. So the
 * whole volume is restored with an `--exclude` per rejected path, and chosen paths with an
 * `--include` each followed by a negated `--include !<path>` per rejected path inside them. A
 * pattern matches the path and everything below it.
 */
export function selectionArguments(rootName: string, guard: RestoreGuard): string[] {
  if (guard.paths === undefined) {
    return guard.excluded.flatMap((entry) => ['--exclude', listedPathPattern(entry)])
  }

  const args: string[] = []
  for (const chosen of guard.paths) {
    args.push(
      '--include',
      `/${escapePattern(rootName)}/${chosen.split('/').map(escapePattern).join('/')}`
    )
  }

  // restic applies a negated pattern to what the patterns before it matched, so these come last.
  for (const entry of guard.excluded) {
    args.push('--include', `!${listedPathPattern(entry)}`)
  }

  return args
}

/**
 * Turns a path as `restic ls --json` prints it into a pattern for that path. Glob characters are
 * escaped, and U+FFFD, which restic prints for each byte that is not valid UTF-8, becomes `?`,
 * because Go's `path/filepath.Match` reads such a byte as one character.
 */
export function listedPathPattern(snapshotPath: string): string {
  return snapshotPath
    .split('/')
    .map((segment) => escapePattern(segment).replaceAll('\uFFFD', '?'))
    .join('/')
}

/** A line of `restic restore` (0.14 to 0.17) for a node its restorer rejects by name. */
const INVALID_NAME_LINE = /^ignoring error for (.+?): invalid child node name (.*)$/

/** The last line of `restic restore` (0.14 to 0.17) when it skipped entries. */
const ERROR_COUNT_LINE = /^There were (\d+) errors$/

/**
 * Reads the entries that `restic restore` rejected by name from its error output, for a run that
 * exited with 1. Returns null unless every error restic counted is such a rejection of a name in
 * `invalidNames`, so any other failure is still reported as one.
 */
export function readRejectedNames(
  stderr: string,
  rootName: string,
  invalidNames: ReadonlySet<string>
): RejectedEntry[] | null {
  let counted: number | null = null
  let errors = 0
  const rejectedNames = new Map<string, RejectedEntry>()
  for (const line of stderr.split('\n')) {
    const total = ERROR_COUNT_LINE.exec(line)
    if (total !== null) {
      counted = Number(total[1])
      continue
    }

    if (!line.startsWith('ignoring error for ')) {
      continue
    }

    errors++
    const match = INVALID_NAME_LINE.exec(line)
    if (match === null || !invalidNames.has(match[2]!)) {
      return null
    }

    // restic visits every node twice (folders and contents, then metadata), so each rejection
    // appears twice.
    const entry = rejectedNamePath(match[1]!, match[2]!, rootName)
    rejectedNames.set(entry, {
      path: entry,
      reason: `restic rejects the name ${JSON.stringify(match[2])} because it is not a single path component`,
    })
  }

  if (errors === 0 || counted !== errors) {
    return null
  }

  return [...rejectedNames.values()]
}

function rejectedNamePath(folder: string, name: string, rootName: string): string {
  const relative = relativePath(folder, rootName)
  if (relative === null) {
    return `${folder.replace(/\/$/, '')}/${name}`
  }

  return relative === '' ? name : `${relative}/${name}`
}
