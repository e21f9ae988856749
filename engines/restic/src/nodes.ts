import type { FileEntry, FileType } from '@coffer/sdk'
import type { ResticRepository } from './repository.js'
import { parseJsonLine } from './restic_process.js'

/** One entry as `restic ls --json` prints it (restic 0.14 prints no link target or inode). */
export interface ResticNode {
  name: string
  type: string
  /** Absolute path inside the snapshot, such as `/volume/folder/file`. */
  path: string
  uid: number
  gid: number
  size?: number
  /** A Go `os.FileMode`: permission bits plus Go's own type and special-bit flags. */
  mode: number
  mtime: string
}

/** Go `os.FileMode` flags for the setuid, setgid and sticky bits. */
const GO_MODE_SETUID = 1 << 23
const GO_MODE_SETGID = 1 << 22
const GO_MODE_STICKY = 1 << 20

const FILE_TYPES: Record<string, FileType> = {
  file: 'file',
  dir: 'directory',
  symlink: 'symlink',
  fifo: 'fifo',
  chardev: 'character',
  dev: 'block',
  socket: 'socket',
}

/** Streams every node of a snapshot to `onNode`, in restic's order (parents first). */
export async function forEachNode(
  repository: ResticRepository,
  snapshotId: string,
  onNode: (node: ResticNode) => void
): Promise<void> {
  await repository.run('ls', ['--json', snapshotId], {
    onLine: (line) => {
      const node = parseNodeLine(line)
      if (node !== null) {
        onNode(node)
      }
    },
  })
}

/** Parses one line of `restic ls --json`. Returns null for lines that are not nodes. */
export function parseNodeLine(line: string): ResticNode | null {
  const message = parseJsonLine(line)
  if (message === null || message.struct_type !== 'node') {
    return null
  }

  return message as unknown as ResticNode
}

/** Converts a Go `os.FileMode` into POSIX permission bits, setuid, setgid and sticky included. */
export function posixMode(goMode: number): number {
  let mode = goMode & 0o777
  if (goMode & GO_MODE_SETUID) mode |= 0o4000
  if (goMode & GO_MODE_SETGID) mode |= 0o2000
  if (goMode & GO_MODE_STICKY) mode |= 0o1000
  return mode
}

/** Parses an RFC 3339 time with up to nine fraction digits into nanoseconds since the epoch. */
export function parseTimeNs(text: string): bigint {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text)
  if (match === null) {
    return BigInt(Date.parse(text)) * 1_000_000n
  }

  const seconds = BigInt(Date.parse(`${match[1]}${match[3]}`)) / 1000n
  const fraction = (match[2] ?? '').padEnd(9, '0').slice(0, 9)
  return seconds * 1_000_000_000n + BigInt(fraction)
}

/**
 * Converts a node into a file entry whose path is relative to the volume root (`rootName`).
 * Returns null for the volume root itself and for nodes outside it.
 */
export function toFileEntry(node: ResticNode, rootName: string): FileEntry | null {
  const relative = relativePath(node.path, rootName)
  if (relative === null || relative === '') {
    return null
  }

  return {
    path: relative,
    type: FILE_TYPES[node.type] ?? 'file',
    size: node.type === 'file' ? (node.size ?? 0) : 0,
    mode: posixMode(node.mode),
    uid: node.uid,
    gid: node.gid,
    mtime: new Date(node.mtime),
  }
}

/** Strips `/<rootName>` from a snapshot path; returns null when the path is outside it. */
export function relativePath(snapshotPath: string, rootName: string): string | null {
  const root = `/${rootName}`
  if (snapshotPath === root) {
    return ''
  }

  if (!snapshotPath.startsWith(`${root}/`)) {
    return null
  }

  return snapshotPath.slice(root.length + 1)
}
