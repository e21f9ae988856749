import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, openSync } from 'node:fs'
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'

/** Raw-bytes path join, for names that are not valid UTF-8. */
function join(folder: Buffer | string, name: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(folder), Buffer.from('/'), Buffer.from(name)])
}

/**
 * Fills `root` with hard volume content. It has a root of mode 0700 owned by 999:999, unknown
 * owners, empty files and folders, old and sub-second mtimes, xattrs, symbolic and hard links,
 * odd and long names, a FIFO, a device node, a unix socket and a sparse file. Returns the socket's
 * server so the caller can close it.
 */
export async function buildCorpus(root: string): Promise<net.Server> {
  await fs.mkdir(path.join(root, 'empty-folder'), { mode: 0o750 })
  await fs.chown(path.join(root, 'empty-folder'), 4242, 4343)
  await fs.mkdir(path.join(root, 'a/b/c'), { recursive: true })
  await fs.writeFile(path.join(root, 'a/b/c/deep.txt'), 'deep content\n')
  await fs.writeFile(path.join(root, 'empty.bin'), '')
  await fs.writeFile(path.join(root, 'owned.txt'), 'owner without passwd entry\n')
  await fs.chown(path.join(root, 'owned.txt'), 123456, 654321)
  await fs.writeFile(path.join(root, 'setuid.sh'), '#!/bin/sh\n', { mode: 0o755 })
  await fs.chmod(path.join(root, 'setuid.sh'), 0o6755)
  await fs.mkdir(path.join(root, 'sticky'))
  await fs.chmod(path.join(root, 'sticky'), 0o1777)

  await fs.writeFile(path.join(root, 'xattr.txt'), 'with attributes\n')
  execFileSync('setfattr', ['-n', 'user.coffer', '-v', 'value', path.join(root, 'xattr.txt')])

  await fs.writeFile(path.join(root, 'a/linked.txt'), 'three names\n')
  await fs.link(path.join(root, 'a/linked.txt'), path.join(root, 'a/b/linked-2.txt'))
  await fs.link(path.join(root, 'a/linked.txt'), path.join(root, 'linked-3.txt'))

  await fs.symlink('/etc/passwd', path.join(root, 'absolute-link'))
  await fs.symlink('../../outside', path.join(root, 'a/relative-outside'))
  await fs.symlink('missing-target', path.join(root, 'dangling'))
  await fs.symlink('loop-b', path.join(root, 'loop-a'))
  await fs.symlink('loop-a', path.join(root, 'loop-b'))

  await fs.writeFile(join(root, 'new\nline'), 'newline name\n')
  await fs.writeFile(join(root, 'tab\tname'), 'tab name\n')
  await fs.writeFile(join(root, ' leading space'), 'space name\n')
  await fs.writeFile(join(root, Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe])), 'not utf-8\n')
  await fs.writeFile(path.join(root, 'n'.repeat(101)), '101-byte name\n')
  await fs.writeFile(path.join(root, 'm'.repeat(255)), '255-byte name\n')
  let long = path.join(root, 'long')
  while (long.length - root.length < 3000) {
    long = path.join(long, 'p'.repeat(200))
  }
  await fs.mkdir(long, { recursive: true })
  await fs.writeFile(path.join(long, 'end.txt'), 'end of a long path\n')

  execFileSync('mkfifo', [path.join(root, 'fifo')])
  execFileSync('mknod', [path.join(root, 'null-device'), 'c', '1', '3'])
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(path.join(root, 'socket'), resolve))

  const sparse = await fs.open(path.join(root, 'sparse.bin'), 'w')
  await sparse.write('start', 0)
  await sparse.write('end', 64 * 1024 * 1024)
  await sparse.close()

  const old = new Date('1999-12-31T23:59:59.123Z')
  await fs.utimes(path.join(root, 'owned.txt'), old, old)
  await fs.utimes(path.join(root, 'a/b/c'), old, old)
  await fs.chmod(root, 0o700)
  await fs.chown(root, 999, 999)
  return server
}

/** One entry of a tree, as compared between source and restore. */
export interface TreeEntry {
  type: string
  mode: number
  uid: number
  gid: number
  mtimeNs: string
  size: number
  sha256?: string
  linkTarget?: string
  xattrs?: string
  /** First path (in walk order) of the entry's inode, for hard-link groups. */
  inodeGroup?: string
  /** Allocated 512-byte blocks, recorded for files of 1 MiB and more. */
  blocks?: number
}

/**
 * Describes every entry below `root` by its path bytes (hex), root included as ``. Sockets are
 * left out, since restic does not store them.
 */
export async function describeTree(root: string): Promise<Map<string, TreeEntry>> {
  const entries = new Map<string, TreeEntry>()
  const inodes = new Map<bigint, string>()
  const visit = async (absolute: Buffer, relative: Buffer) => {
    const stats = await fs.lstat(absolute, { bigint: true })
    if (stats.isSocket()) {
      return
    }

    const key = relative.toString('hex')
    const entry: TreeEntry = {
      type: typeOf(stats),
      mode: Number(stats.mode & 0o7777n),
      uid: Number(stats.uid),
      gid: Number(stats.gid),
      mtimeNs: stats.isSymbolicLink() ? 'link' : stats.mtimeNs.toString(),
      size: stats.isFile() ? Number(stats.size) : 0,
    }

    if (stats.isFile()) {
      entry.sha256 = createHash('sha256')
        .update(await fs.readFile(absolute))
        .digest('hex')
      entry.xattrs = readXattrs(absolute)
      if (stats.size >= 1024n * 1024n) entry.blocks = Number(stats.blocks)
      const group = inodes.get(stats.ino)
      entry.inodeGroup = group ?? key
      if (group === undefined) inodes.set(stats.ino, key)
    } else if (stats.isSymbolicLink()) {
      entry.linkTarget = (await fs.readlink(absolute, { encoding: 'buffer' })).toString('hex')
    }
    entries.set(key, entry)

    if (stats.isDirectory()) {
      for (const name of await fs.readdir(absolute, { encoding: 'buffer' })) {
        const child =
          relative.length === 0 ? name : Buffer.concat([relative, Buffer.from('/'), name])
        await visit(join(absolute, name), child)
      }
    }
  }

  await visit(Buffer.from(root), Buffer.alloc(0))
  return entries
}

function typeOf(stats: {
  isFile(): boolean
  isDirectory(): boolean
  isSymbolicLink(): boolean
  isFIFO(): boolean
  isCharacterDevice(): boolean
  isBlockDevice(): boolean
}): string {
  if (stats.isFile()) return 'file'
  if (stats.isDirectory()) return 'directory'
  if (stats.isSymbolicLink()) return 'symlink'
  if (stats.isFIFO()) return 'fifo'
  if (stats.isCharacterDevice()) return 'character'
  if (stats.isBlockDevice()) return 'block'
  return 'other'
}

/** Lists a file's extended attributes through getfattr on its open descriptor (any name bytes). */
function readXattrs(absolute: Buffer): string {
  const descriptor = openSync(absolute, 'r')
  try {
    const output = execFileSync('getfattr', ['-d', '-m', '-', '-e', 'hex', '/dev/fd/0'], {
      stdio: [descriptor, 'pipe', 'ignore'],
    })
    return output
      .toString()
      .split('\n')
      .filter((line) => line.includes('='))
      .sort()
      .join(',')
  } finally {
    closeSync(descriptor)
  }
}
