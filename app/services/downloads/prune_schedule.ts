import { downloadsFolder } from '#services/downloads/download_paths'
import { downloadRetentionHours } from '#services/downloads/download_retention'
import { pruneDownloads } from '#services/downloads/prune_downloads'

/** Milliseconds between two prunings started by the scheduler loop. */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000

let lastStartedAt: number | null = null

/**
 * Prunes the downloads folder unless a pruning started less than an hour ago in this process.
 * The first call always prunes. Returns null when it skipped the run.
 */
export async function pruneDownloadsWhenDue(now = new Date()) {
  if (lastStartedAt !== null && now.getTime() - lastStartedAt < PRUNE_INTERVAL_MS) {
    return null
  }

  // Recorded before the run, so a failing run is retried an hour later, not on every pass.
  lastStartedAt = now.getTime()
  return pruneDownloads({
    folder: downloadsFolder(),
    retentionHours: downloadRetentionHours(),
    now,
  })
}
