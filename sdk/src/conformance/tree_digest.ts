import { createHash } from 'node:crypto'
import { createReadStream, type BigIntStats } from 'node:fs'
import fs from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { displayPath, joinBytes, pathKey } from './path_bytes.js'
import { readXattrs } from './xattrs.js'

/** Entry types of a tree digest, named as in `FileType`. */
export type TreeEntryType =
  'file' | 'directory' | 'symlink' | 'fifo' | 'character' | 'block' | 'socket'

/** Whether a large file's allocated blocks cover its size (`dense`) or mostly not (`sparse`). */
export type SparseClass = 'sparse' | 'dense'

/** Everything the kit compares about one path. */
export interface TreeEntry {
  /** Path relative to the tree root as raw bytes; `.` for the root itself. */
  path: Buffer
  type: TreeEntryType
  /** Permission bits with setuid, setgid and sticky (`mode & 0o7777`). */
  mode: number
  uid: number
  gid: number
  mtimeNs: bigint
  /** Size in bytes of regular files; 0 for other types. */
  size: number
  /** sha256 of a regular file's content, hex. */
  sha256?: string
  /** Target of a symbolic link, as raw bytes. */
  linkTarget?: Buffer
  /** `major:minor` of a device node. */
  device?: string
  /** Extended attribute name to value (hex). */
  xattrs: Record<string, string>
  /**
   * Hard-link group: the display path of the first (by byte order) name sharing this inode
   * inside the tree, so two trees compare by membership and not by inode numbers.
   */
  hardLinkGroup?: string
  /** Allocation class of regular files of at least 1 MiB. */
  sparse?: SparseClass
}

/** The digest of a tree: an entry per path, keyed by `pathKey(path)`. */
export interface TreeDigest {
  root: string
  entries: Map<string, TreeEntry>
}

/** Files smaller than this get no sparse class: file systems allocate small files differently. */
const SPARSE_MIN_BYTES = 1024 * 1024

/**
 * Walks `root` with lstat (never following a link) and returns an entry per path. Reads every
 * regular file's content, but never opens FIFOs, devices or sockets.
 */
export async function treeDigest(root: string): Promise<TreeDigest> {
  const entries = new Map<string, TreeEntry>()
  const inodes = new Map<string, Buffer[]>()
  const xattrs = await readXattrs(root)
  const rootBytes = Buffer.from(root)

  const visit = async (relative: Buffer) => {
    const absolute = relative.length === 0 ? rootBytes : joinBytes(rootBytes, relative)
    const stats = await fs.lstat(absolute, { bigint: true })
    const entryPath = relative.length === 0 ? Buffer.from('.') : relative
    const entry = await entryOf(absolute, entryPath, stats)
    entry.xattrs = xattrs.get(pathKey(absolute)) ?? {}
    entries.set(pathKey(entryPath), entry)

    if (entry.type !== 'directory' && stats.nlink > 1n) {
      const inode = `${stats.dev}:${stats.ino}`
      inodes.set(inode, [...(inodes.get(inode) ?? []), entryPath])
    }

    if (entry.type !== 'directory') {
      return
    }

    const names = await fs.readdir(absolute, { encoding: 'buffer' })
    for (const name of names) {
      await visit(relative.length === 0 ? name : joinBytes(relative, name))
    }
  }

  await visit(Buffer.alloc(0))

  for (const paths of inodes.values()) {
    if (paths.length < 2) {
      continue
    }

    const sorted = [...paths].sort(Buffer.compare)
    const label = displayPath(sorted[0])
    for (const member of sorted) {
      entries.get(pathKey(member))!.hardLinkGroup = label
    }
  }

  return { root, entries }
}

async function entryOf(
  absolute: Buffer,
  entryPath: Buffer,
  stats: BigIntStats
): Promise<TreeEntry> {
  const entry: TreeEntry = {
    path: entryPath,
    type: typeOf(stats),
    mode: Number(stats.mode & 0o7777n),
    uid: Number(stats.uid),
    gid: Number(stats.gid),
    mtimeNs: stats.mtimeNs,
    size: 0,
    xattrs: {},
  }

  if (entry.type === 'file') {
    entry.size = Number(stats.size)
    entry.sha256 = await hashFile(absolute)
    if (stats.size >= BigInt(SPARSE_MIN_BYTES)) {
      entry.sparse = stats.blocks * 512n * 2n <= stats.size ? 'sparse' : 'dense'
    }
  }

  if (entry.type === 'symlink') {
    entry.linkTarget = await fs.readlink(absolute, { encoding: 'buffer' })
  }

  if (entry.type === 'character' || entry.type === 'block') {
    const rdev = stats.rdev
    // Linux encodes major and minor in dev_t as glibc's gnu_dev_major and gnu_dev_minor do.
    const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)
    const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)
    entry.device = `${major}:${minor}`
  }

  return entry
}

function typeOf(stats: BigIntStats): TreeEntryType {
  if (stats.isFile()) return 'file'
  if (stats.isDirectory()) return 'directory'
  if (stats.isSymbolicLink()) return 'symlink'
  if (stats.isFIFO()) return 'fifo'
  if (stats.isCharacterDevice()) return 'character'
  if (stats.isBlockDevice()) return 'block'
  return 'socket'
}

async function hashFile(absolute: Buffer): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(absolute), hash)
  return hash.digest('hex')
}
