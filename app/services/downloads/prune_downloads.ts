import { lstat, readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import logger from '@adonisjs/core/services/logger'
import { PARTIAL_UPLOAD_SUFFIX } from '#services/downloads/download_paths'

/**
 * Milliseconds after its last write when a partial upload counts as abandoned. An upload writes
 * to its partial file as data arrives. Node's HTTP server ends a request that takes longer than
 * its `requestTimeout` (300 seconds by default since Node 18), so a partial file untouched for an
 * hour belongs to an upload that ended without finishing.
 */
const ABANDONED_UPLOAD_MS = 60 * 60 * 1000

export interface PruneDownloadsOptions {
  /** The downloads folder; only its direct entries are examined. */
  folder: string
  /** Hours an archive stays available after its last write. */
  retentionHours: number
  now?: Date
}

/** Counts of one pruning run. */
export interface PruneDownloadsResult {
  removedArchives: number
  removedPartialUploads: number
  removedLinks: number
  keptFiles: number
  failed: number
}

/**
 * Deletes the archives in `folder` whose mtime is older than the retention, the partial uploads
 * that stopped being written, and every symbolic link. Sub-folders and other special files are
 * left alone, and nothing is followed: a link is removed as a link, its target stays.
 */
export async function pruneDownloads(options: PruneDownloadsOptions) {
  const now = (options.now ?? new Date()).getTime()
  const retentionMs = options.retentionHours * 60 * 60 * 1000
  const result: PruneDownloadsResult = {
    removedArchives: 0,
    removedPartialUploads: 0,
    removedLinks: 0,
    keptFiles: 0,
    failed: 0,
  }

  for (const name of await listEntries(options.folder)) {
    // A name from readdir contains no path separator, so the path stays inside the folder.
    const path = join(options.folder, name)
    const stats = await lstat(path).catch(ignoreMissing)
    if (!stats) {
      continue
    }

    // The controller never writes links, and the download route would follow one named like an
    // archive, so a link is removed whatever its age.
    if (stats.isSymbolicLink()) {
      if (await removeEntry(path, result)) {
        result.removedLinks++
      }
      continue
    }

    if (!stats.isFile()) {
      continue
    }

    const partial = name.endsWith(PARTIAL_UPLOAD_SUFFIX)
    const maxAgeMs = partial ? Math.min(retentionMs, ABANDONED_UPLOAD_MS) : retentionMs
    if (now - stats.mtimeMs <= maxAgeMs) {
      result.keptFiles++
      continue
    }

    if (await removeEntry(path, result)) {
      if (partial) {
        result.removedPartialUploads++
      } else {
        result.removedArchives++
      }
    }
  }

  logger.info(
    { folder: options.folder, retentionHours: options.retentionHours, ...result },
    'download archives pruned'
  )
  return result
}

/** Lists the entry names of the folder; a folder that does not exist yet has none. */
async function listEntries(folder: string) {
  try {
    return await readdir(folder)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return []
    }
    throw error
  }
}

/** Unlinks one entry; returns false when it failed or was already gone. */
async function removeEntry(path: string, result: PruneDownloadsResult) {
  try {
    await unlink(path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return false
    }
    result.failed++
    logger.error({ err: error, path }, 'removing an expired download failed')
    return false
  }
}

function ignoreMissing(error: NodeJS.ErrnoException) {
  if (error.code === 'ENOENT') {
    return null
  }
  throw error
}
