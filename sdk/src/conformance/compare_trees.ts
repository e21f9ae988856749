import { displayPath } from './path_bytes.js'
import type { TreeDigest, TreeEntry } from './tree_digest.js'

/** Fields of a `TreeEntry` that `compareTrees` checks. */
export type TreeField =
  | 'type'
  | 'mode'
  | 'uid'
  | 'gid'
  | 'mtime'
  | 'size'
  | 'sha256'
  | 'linkTarget'
  | 'device'
  | 'xattrs'
  | 'hardLinkGroup'
  | 'sparse'

/** Options of `compareTrees`. */
export interface CompareOptions {
  /**
   * Names of the two trees in messages, such as `source` and `restored`; `expected` and `actual`
   * when omitted.
   */
  labels?: { expected: string; actual: string }
  /** Tells whether to skip a field of a path (given in display form, such as `"a/b"`). */
  ignore?(path: string, field: TreeField, expected: TreeEntry): boolean
  /** Tells whether to skip a path entirely, present or missing. */
  skipPath?(path: string): boolean
}

/**
 * Compares two tree digests and returns one message per difference, such as
 * `"a/b": mode expected 0644, actual 0600` or `"c": file missing from the actual tree`, with the
 * tree names from `options.labels`.
 */
export function compareTrees(
  expected: TreeDigest,
  actual: TreeDigest,
  options: CompareOptions = {}
): string[] {
  const labels = options.labels ?? { expected: 'expected', actual: 'actual' }
  const differences: string[] = []
  const keys = new Set([...expected.entries.keys(), ...actual.entries.keys()])
  const sorted = [...keys].sort((a, b) =>
    Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'))
  )

  for (const key of sorted) {
    const want = expected.entries.get(key)
    const got = actual.entries.get(key)
    const shown = displayPath((want ?? got)!.path)
    if (options.skipPath?.(shown)) {
      continue
    }

    if (want === undefined) {
      differences.push(`${shown}: ${got!.type} not in the ${labels.expected} tree`)
      continue
    }

    if (got === undefined) {
      differences.push(`${shown}: ${want.type} missing from the ${labels.actual} tree`)
      continue
    }

    differences.push(...compareEntries(shown, want, got, { ...options, labels }))
  }

  return differences
}

function compareEntries(
  shown: string,
  want: TreeEntry,
  got: TreeEntry,
  options: CompareOptions & Required<Pick<CompareOptions, 'labels'>>
): string[] {
  const { labels } = options
  const differences: string[] = []
  const check = (field: TreeField, wanted: string, found: string) => {
    if (wanted !== found && !options.ignore?.(shown, field, want)) {
      differences.push(`${shown}: ${field} ${labels.expected} ${wanted}, ${labels.actual} ${found}`)
    }
  }

  check('type', want.type, got.type)
  if (want.type !== got.type) {
    return differences
  }

  // Linux ignores a symbolic link's mode, so only other types compare it.
  if (want.type !== 'symlink') {
    check('mode', octal(want.mode), octal(got.mode))
  }

  check('uid', String(want.uid), String(got.uid))
  check('gid', String(want.gid), String(got.gid))
  check('mtime', formatNs(want.mtimeNs), formatNs(got.mtimeNs))
  check('size', String(want.size), String(got.size))
  check('sha256', want.sha256 ?? '-', got.sha256 ?? '-')
  check('linkTarget', bytesOrDash(want.linkTarget), bytesOrDash(got.linkTarget))
  check('device', want.device ?? '-', got.device ?? '-')
  check('xattrs', formatXattrs(want.xattrs), formatXattrs(got.xattrs))
  check('hardLinkGroup', want.hardLinkGroup ?? 'none', got.hardLinkGroup ?? 'none')
  check('sparse', want.sparse ?? '-', got.sparse ?? '-')
  return differences
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`
}

/** Formats nanoseconds since the epoch as `seconds.nanoseconds`. */
export function formatNs(ns: bigint): string {
  const sign = ns < 0n ? '-' : ''
  const absolute = ns < 0n ? -ns : ns
  return `${sign}${absolute / 1_000_000_000n}.${String(absolute % 1_000_000_000n).padStart(9, '0')}`
}

function bytesOrDash(bytes: Buffer | undefined): string {
  return bytes === undefined ? '-' : displayPath(bytes)
}

function formatXattrs(xattrs: Record<string, string>): string {
  const names = Object.keys(xattrs).sort()
  if (names.length === 0) {
    return '{}'
  }

  return `{${names.map((name) => `${name}=0x${xattrs[name]}`).join(', ')}}`
}
