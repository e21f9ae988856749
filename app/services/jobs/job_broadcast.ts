import transmit from '@adonisjs/transmit/services/main'
import type Job from '#models/job'
import type JobEvent from '#models/job_event'

/** The server-sent-events channel of one job. */
export function jobChannel(jobId: string) {
  return `jobs/${jobId}`
}

/** Sends a job's state to the panel pages that watch it. */
export async function broadcastJob(job: Job) {
  transmit.broadcast(jobChannel(job.id), {
    type: 'state',
    status: job.status,
    progress: job.progress,
    error: job.error,
  })
}

/** Sends new log lines and progress of a job to the panel pages that watch it. */
export function broadcastEvents(jobId: string, events: JobEvent[]) {
  for (const event of events) {
    transmit.broadcast(jobChannel(jobId), {
      type: event.type,
      level: event.level,
      message: event.message,
      data: event.data,
      at: event.at.toISO(),
    })
  }
}
