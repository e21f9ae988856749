import { EventEmitter } from 'node:events'

/**
 * Wakes waiting lease requests in this process when a job is queued, so a long poll answers at
 * once instead of at its next database check. Other controllers notice on their next check.
 */
export const jobSignals = new EventEmitter()
jobSignals.setMaxListeners(0)

/** Tells waiting lease requests that a job was queued. */
export function signalJobQueued() {
  jobSignals.emit('queued')
}

/** Resolves when a job is queued in this process or after `ms`, whichever comes first. */
export function waitForQueuedJob(ms: number, signal?: AbortSignal) {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      jobSignals.off('queued', done)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    jobSignals.once('queued', done)
    signal?.addEventListener('abort', done, { once: true })
  })
}
