import logger from '@adonisjs/core/services/logger'
import { tick } from '#services/schedules/scheduler'

/** Seconds between scheduler passes. */
const TICK_SECONDS = 30

let timer: NodeJS.Timeout | null = null
let running: Promise<void> | null = null

/** Starts calling `tick` every 30 seconds; a pass never overlaps the previous one. */
export function startSchedulerLoop() {
  if (timer) {
    return
  }
  logger.info({ intervalSeconds: TICK_SECONDS }, 'scheduler started')
  timer = setInterval(() => {
    if (running) {
      return
    }
    running = tick()
      .catch((error) => logger.error({ err: error }, 'scheduler pass failed'))
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
