import fs from 'node:fs/promises'
import { isUtf8, joinBytes } from './path_bytes.js'
import { runCommand } from './run_command.js'

/** Metadata to give an entry once its content exists. */
export interface EntryMetadata {
  mode?: number
  uid?: number
  gid?: number
  /** Modification time as `seconds.nanoseconds`, passed to `touch -d @...`. */
  mtime?: string
  /** Extended attributes: name to value (a string, or a Buffer for binary values). */
  xattrs?: Record<string, string | Buffer>
}

/**
 * Writes entries under one volume folder. Metadata of folders is applied by `finish` deepest
 * first, after their content exists, so creating children does not change a folder's mtime.
 */
export class CorpusBuilder {
  readonly root: Buffer
  #folders: { path: Buffer; metadata: EntryMetadata }[] = []

  constructor(root: string) {
    this.root = Buffer.from(root)
  }

  /** Absolute path of a volume-relative path. */
  pathOf(relative: Buffer | string): Buffer {
    return joinBytes(this.root, relative)
  }

  /** Creates a folder (and its parents) and records its metadata for `finish`. */
  async folder(relative: Buffer | string, metadata: EntryMetadata = {}): Promise<void> {
    const absolute = this.pathOf(relative)
    await fs.mkdir(absolute, { recursive: true })
    this.#folders.push({ path: absolute, metadata })
  }

  /** Creates a regular file with `content` and applies its metadata. */
  async file(relative: Buffer | string, content: Buffer | string, metadata: EntryMetadata = {}) {
    const absolute = this.pathOf(relative)
    await fs.writeFile(absolute, content)
    await applyMetadata(absolute, metadata, false)
  }

  /** Creates a symbolic link; its owner and mtime are set on the link itself. */
  async symlink(relative: Buffer | string, target: Buffer | string, metadata: EntryMetadata = {}) {
    const absolute = this.pathOf(relative)
    await fs.symlink(target, absolute)
    await applyMetadata(absolute, metadata, true)
  }

  /** Adds a hard link `relative` to the existing entry `existing`. */
  async hardLink(existing: Buffer | string, relative: Buffer | string): Promise<void> {
    await fs.link(this.pathOf(existing), this.pathOf(relative))
  }

  /** Runs a command such as `mkfifo` or `mknod` on an ASCII path, then applies metadata. */
  async special(relative: string, command: string, args: string[], metadata: EntryMetadata = {}) {
    const absolute = this.pathOf(relative)
    await runCommand(command, [absolute.toString(), ...args], {
      debianPackage: 'coreutils',
    })
    await applyMetadata(absolute, metadata, false)
  }

  /** Applies the recorded folder metadata, deepest folders first, then the root's. */
  async finish(rootMetadata: EntryMetadata = {}): Promise<void> {
    const folders = [...this.#folders].sort((a, b) => b.path.length - a.path.length)
    for (const folder of folders) {
      await applyMetadata(folder.path, folder.metadata, false)
    }

    await applyMetadata(this.root, rootMetadata, false)
  }
}

/** Applies owner, mode, xattrs and mtime, in the order that keeps each one. */
export async function applyMetadata(absolute: Buffer, metadata: EntryMetadata, isLink: boolean) {
  // chown clears setuid and setgid bits, so it runs before chmod.
  if (metadata.uid !== undefined || metadata.gid !== undefined) {
    await fs.lchown(absolute, metadata.uid ?? 0, metadata.gid ?? 0)
  }

  if (metadata.mode !== undefined && !isLink) {
    await fs.chmod(absolute, metadata.mode)
  }

  for (const [name, value] of Object.entries(metadata.xattrs ?? {})) {
    const hex = `0x${Buffer.from(value).toString('hex')}`
    await runCommand('setfattr', ['-h', '-n', name, '-v', hex, absolute.toString()], {
      debianPackage: 'attr',
    })
  }

  if (metadata.mtime !== undefined) {
    // touch takes nanoseconds exactly; fs.utimes goes through a double and rounds them.
    const touchArgs = ['-h', '-d', `@${metadata.mtime}`, absolute.toString()]
    if (isUtf8(absolute)) {
      await runCommand('touch', touchArgs, { debianPackage: 'coreutils' })
    } else {
      const seconds = Number(metadata.mtime)
      await fs.lutimes(absolute, seconds, seconds)
    }
  }
}
