import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import type { BigIntStats } from 'node:fs'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/** Files smaller than this are left dense: a hole needs whole file-system blocks. */
export const MIN_SPARSE_SIZE = 64n * 1024n

/**
 * Turns runs of zero bytes in restored files back into holes with `fallocate --dig-holes`, for
 * restic versions without `restore --sparse` (before 0.15.0). Punching holes changes a file's
 * mtime, so the restored mtime is put back afterwards.
 */
export async function digHoles(files: Array<{ path: Buffer; stats: BigIntStats }>): Promise<void> {
  const seen = new Set<bigint>()
  for (const { path, stats } of files) {
    if (stats.size < MIN_SPARSE_SIZE || seen.has(stats.ino)) {
      continue
    }

    seen.add(stats.ino)
    await withProcPath(path, (procPath) => execFileAsync('fallocate', ['--dig-holes', procPath]))
    await setMtime(path, stats.mtimeNs)
  }
}

/**
 * Sets the mtime of a regular file or folder with nanosecond precision through `touch`, since
 * Node's `utimes` takes seconds as a double and loses the last digits.
 */
export async function setMtime(target: Buffer, mtimeNs: bigint): Promise<void> {
  await withProcPath(target, (procPath) =>
    execFileAsync('touch', ['-m', '-d', `@${formatNs(mtimeNs)}`, procPath])
  )
}

/** Sets a folder's owner, permission bits and mtime from `stats`. */
export async function applyFolderMetadata(target: Buffer, stats: BigIntStats): Promise<void> {
  await fs.lchown(target, Number(stats.uid), Number(stats.gid))
  await fs.chmod(target, Number(stats.mode & 0o7777n))
  await setMtime(target, stats.mtimeNs)
}

/**
 * Opens a file or folder and hands a child process its `/proc/<pid>/fd/<n>` path: child
 * arguments are UTF-8 strings, and this reaches names that are not valid UTF-8 as well.
 */
async function withProcPath<T>(target: Buffer, run: (procPath: string) => Promise<T>): Promise<T> {
  const handle = await fs.open(target, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  try {
    return await run(`/proc/${process.pid}/fd/${handle.fd}`)
  } finally {
    await handle.close()
  }
}

function formatNs(ns: bigint): string {
  const negative = ns < 0n
  const absolute = negative ? -ns : ns
  const seconds = absolute / 1_000_000_000n
  const fraction = (absolute % 1_000_000_000n).toString().padStart(9, '0')
  return `${negative ? '-' : ''}${seconds}.${fraction}`
}
