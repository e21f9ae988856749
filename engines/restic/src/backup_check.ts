import fs from 'node:fs/promises'
import type { BigIntStats } from 'node:fs'
import type { EngineWarning } from '@coffer/sdk'
import { forEachNode, parseTimeNs, relativePath } from './nodes.js'
import type { ResticRepository } from './repository.js'

/** Type, size and mtime of one entry as the snapshot stored it. */
interface StoredEntry {
  type: string
  size: number
  mtimeNs: bigint
}

/**
 * Compares the source folder with what a snapshot stored. Returns warnings for entries restic
 * skipped without an error (unix sockets) and for files whose size or mtime changed while
 * restic read them, so such a snapshot is never reported as clean.
 *
 * NOTE: names that are not valid UTF-8 are not compared, because `restic ls --json` prints
 * them with replacement characters.
 */
export async function compareSourceWithSnapshot(
  repository: ResticRepository,
  snapshotId: string,
  sourcePath: string,
  rootName: string
): Promise<EngineWarning[]> {
  const stored = new Map<string, StoredEntry>()
  await forEachNode(repository, snapshotId, (node) => {
    const relative = relativePath(node.path, rootName)
    if (relative === null || relative === '') {
      return
    }

    stored.set(relative, {
      type: node.type,
      size: node.size ?? 0,
      mtimeNs: parseTimeNs(node.mtime),
    })
  })

  const warnings: EngineWarning[] = []
  await walk(Buffer.from(sourcePath), '', async (relative, stats) => {
    const entry = stored.get(relative)
    if (stats.isSocket() && entry === undefined) {
      warnings.push({
        code: 'SKIPPED_SOCKET',
        path: relative,
        message: `unix socket "${relative}" was not stored: restic skips sockets, and a restore will not recreate it`,
      })
      return
    }

    if (!stats.isFile() || entry === undefined || entry.type !== 'file') {
      return
    }

    if (BigInt(entry.size) !== stats.size || entry.mtimeNs !== stats.mtimeNs) {
      warnings.push({
        code: 'FILE_CHANGED',
        path: relative,
        message: `file "${relative}" changed while it was read (stored ${entry.size} bytes, now ${stats.size} bytes): the snapshot contains the content read at that time. Back up again, or stop the writer first`,
      })
    }
  })

  return warnings
}

/** Visits every entry below `folder` (as raw bytes) whose relative path is valid UTF-8. */
async function walk(
  folder: Buffer,
  prefix: string,
  visit: (relative: string, stats: BigIntStats) => Promise<void>
): Promise<void> {
  let names: Buffer[]
  try {
    names = await fs.readdir(folder, { encoding: 'buffer' })
  } catch {
    // restic has already reported the folders it could not read.
    return
  }

  for (const name of names) {
    const text = name.toString('utf8')
    if (!Buffer.from(text, 'utf8').equals(name)) {
      continue
    }

    const child = Buffer.concat([folder, Buffer.from('/'), name])
    const relative = prefix === '' ? text : `${prefix}/${text}`
    let stats: BigIntStats
    try {
      stats = await fs.lstat(child, { bigint: true })
    } catch {
      continue
    }

    await visit(relative, stats)
    if (stats.isDirectory()) {
      await walk(child, relative, visit)
    }
  }
}
