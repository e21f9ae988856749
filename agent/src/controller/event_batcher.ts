import type { AgentLogger } from '../logger.js'
import type { JobEvent } from './api_types.js'
import type { ControllerClient } from './client.js'

/** Maximum events queued while the controller is slow or unreachable. Older ones are dropped. */
const MAX_QUEUED_EVENTS = 2000

/** Events sent per request. */
const MAX_BATCH = 500

/**
 * Queues a job's log and progress events and sends them in batches, at most one request per
 * `intervalMs`. Only the latest progress event is kept between two sends. When the queue is
 * full, the oldest events are dropped and one log line reports how many.
 */
export class EventBatcher {
  readonly #client: ControllerClient
  readonly #jobId: string
  readonly #logger: AgentLogger
  readonly #intervalMs: number
  #queue: JobEvent[] = []
  #dropped = 0
  #timer: NodeJS.Timeout | undefined
  #sending: Promise<void> = Promise.resolve()
  #closed = false

  constructor(client: ControllerClient, jobId: string, logger: AgentLogger, intervalMs = 1000) {
    this.#client = client
    this.#jobId = jobId
    this.#logger = logger
    this.#intervalMs = intervalMs
  }

  /** Queues a log line. */
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.#push({ type: 'log', level, message, at: new Date().toISOString() })
  }

  /** Queues a progress event, replacing a progress event that is still queued. */
  progress(progress: {
    phase: string
    bytesDone: number
    bytesTotal?: number
    filesDone?: number
  }): void {
    const last = this.#queue.at(-1)
    if (last?.type === 'progress') {
      this.#queue.pop()
    }

    this.#push({ type: 'progress', ...progress, at: new Date().toISOString() })
  }

  /** Sends what is queued and stops the timer. */
  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#sending
    while (this.#queue.length > 0 || this.#dropped > 0) {
      const before = this.#queue.length
      await this.#send()
      if (this.#queue.length >= before) {
        return
      }
    }
  }

  #push(event: JobEvent): void {
    this.#queue.push(event)
    if (this.#queue.length > MAX_QUEUED_EVENTS) {
      this.#queue.shift()
      this.#dropped += 1
    }

    if (!this.#closed && this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined
        this.#sending = this.#sending.then(() => this.#send())
      }, this.#intervalMs)
    }
  }

  async #send(): Promise<void> {
    if (this.#dropped > 0) {
      const message = `${this.#dropped} earlier events were dropped because the controller was slow or unreachable`
      this.#queue.unshift({ type: 'log', level: 'warn', message, at: new Date().toISOString() })
      this.#dropped = 0
    }

    const batch = this.#queue.splice(0, MAX_BATCH)
    if (batch.length === 0) {
      return
    }

    try {
      await this.#client.sendEvents(this.#jobId, batch)
    } catch (error) {
      // Put the batch back in front, so a later send retries it.
      this.#queue.unshift(...batch)
      this.#logger.warn(
        { err: error, jobId: this.#jobId, events: batch.length },
        'failed to send job events; retrying later'
      )
    }

    if (!this.#closed && this.#queue.length > 0 && this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined
        this.#sending = this.#sending.then(() => this.#send())
      }, this.#intervalMs)
    }
  }
}
