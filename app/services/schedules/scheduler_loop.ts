import logger from '@adonisjs/core/services/logger'
import { tick } from '#services/schedules/scheduler'
import { expireLeases } from '#services/jobs/expire_leases'
import { pruneDownloadsWhenDue } from '#services/downloads/prune_schedule'

/** Seconds between scheduler passes. */
const TICK_SECONDS = 30

let timer: NodeJS.Timeout | null = null
let running: Promise<void> | null = null

/**
 * Every 30 seconds, fails or requeues jobs whose lease expired and then calls `tick`; a pass never
 * overlaps the previous one. Once an hour, a pass also deletes the expired download archives.
 */
export function startSchedulerLoop() {
  if (timer) {
    return
  }
  logger.info({ intervalSeconds: TICK_SECONDS }, 'scheduler started')
  timer = setInterval(() => {
    if (running) {
      return
    }
    // Lease requests also expire leases, but only while some agent polls; this pass covers the
    // jobs of a controller whose agents all stopped.
    running = expireLeases()
      .then(() => tick())
      .catch((error) => logger.error({ err: error }, 'scheduler pass failed'))
      .then(() => pruneDownloadsWhenDue())
      .then(() => undefined)
      .catch((error) => logger.error({ err: error }, 'pruning the download archives failed'))
      .finally(() => {
        running = null
      })
  }, TICK_SECONDS * 1000)
}

/** Stops the loop and waits for a running pass to end. */
export async function stopSchedulerLoop() {
  if (timer) {
    clearInterval(timer)
    timer = null
    logger.info('scheduler stopped')
  }
  await running
}
