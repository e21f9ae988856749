import { normalizeArchivePath } from './paths.js'
import type { TarEntry } from './tar_parser.js'

type Kind = 'directory' | 'symlink' | 'other'

/**
 * Decides, entry by entry and in archive order, which entries restore may write. It rejects
 * absolute paths, `..` components, paths through a symbolic link or a non-directory from earlier
 * in the archive, a directory replaced by another type (or the reverse), and hard links whose
 * target is not a regular entry accepted earlier. Staging into a fresh folder covers the links
 * that exist in the target, because nothing from the target is on the extraction path.
 */
export class EntryGuard {
  // Memory grows with the number of entries, because any later entry may name any earlier path.
  #kinds = new Map<string, Kind>()

  /** Returns why the entry must not be written, or null when it may be, and records it. */
  check(entry: TarEntry): string | null {
    if (entry.type === 'unknown') {
      return `entry type "${entry.typeflag}" is not supported`
    }

    const reason = pathProblem(entry.path)
    if (reason) {
      return reason
    }

    const path = normalizeArchivePath(entry.path)
    if (path.length === 0 && entry.type !== 'directory') {
      return 'the volume root must be a directory'
    }

    const parentProblem = this.#parentProblem(path)
    if (parentProblem) {
      return parentProblem
    }

    const kind = kindOf(entry)
    const earlier = this.#kinds.get(path.toString('latin1'))
    if (earlier === 'directory' && kind !== 'directory') {
      // A link that tried to replace a folder taints the path: later entries below it are
      // rejected as passing through that link.
      if (kind === 'symlink') {
        this.#kinds.set(path.toString('latin1'), 'symlink')
      }
      return `replaces the directory stored earlier at the same path with a ${entry.type}`
    }

    if (earlier !== undefined && earlier !== 'directory' && kind === 'directory') {
      return `replaces a ${earlier === 'symlink' ? 'symbolic link' : 'file'} stored earlier at the same path with a directory`
    }

    if (entry.type === 'hardlink') {
      const linkProblem = this.#hardLinkProblem(entry.linkPath ?? Buffer.alloc(0))
      if (linkProblem) {
        return linkProblem
      }
    }

    this.#kinds.set(path.toString('latin1'), kind)
    return null
  }

  #parentProblem(path: Buffer): string | null {
    let slash = path.indexOf(0x2f)
    while (slash !== -1) {
      const prefix = path.subarray(0, slash)
      const kind = this.#kinds.get(prefix.toString('latin1'))
      if (kind === 'symlink') {
        return `path passes through the symbolic link ${JSON.stringify(prefix.toString('utf8'))} stored in the archive`
      }

      if (kind === 'other') {
        return `path passes through ${JSON.stringify(prefix.toString('utf8'))}, which the archive stores as a file`
      }

      slash = path.indexOf(0x2f, slash + 1)
    }

    return null
  }

  #hardLinkProblem(linkPath: Buffer): string | null {
    const reason = pathProblem(linkPath)
    if (reason) {
      return `hard link target: ${reason}`
    }

    const target = normalizeArchivePath(linkPath)
    const kind = this.#kinds.get(target.toString('latin1'))
    if (kind !== 'other') {
      return `hard link target ${JSON.stringify(target.toString('utf8'))} is not a file accepted earlier in the archive`
    }

    return this.#parentProblem(target)
  }
}

/** Returns why a raw archive path can never be written inside the target, or null. */
export function pathProblem(path: Buffer): string | null {
  if (path[0] === 0x2f) {
    return 'absolute path'
  }

  if (path.includes(0)) {
    return 'path contains a NUL byte'
  }

  for (const component of path.toString('latin1').split('/')) {
    if (component === '..') {
      return 'path climbs out of the target with ".."'
    }
  }

  return null
}

function kindOf(entry: TarEntry): Kind {
  if (entry.type === 'directory') {
    return 'directory'
  }

  return entry.type === 'symlink' ? 'symlink' : 'other'
}
