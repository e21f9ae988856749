import { DateTime } from 'luxon'
import type Job from '#models/job'
import JobEvent from '#models/job_event'
import { broadcastEvents } from '#services/jobs/job_broadcast'

/** A log line or progress report as an agent sends it. */
export type IncomingJobEvent =
  | { type: 'log'; level: string; message: string; at?: string }
  | {
      type: 'progress'
      phase: string
      bytesDone: number
      bytesTotal?: number
      filesDone?: number
      filesTotal?: number
      at?: string
    }

/** Stores a batch of events of a job, keeps its last progress, and streams them to the panel. */
export async function appendJobEvents(job: Job, incoming: IncomingJobEvent[]) {
  const rows = incoming.map((event) => {
    const at = event.at ? DateTime.fromISO(event.at) : DateTime.now()
    const base = { jobId: job.id, at: at.isValid ? at : DateTime.now() }

    if (event.type === 'log') {
      return {
        ...base,
        type: 'log' as const,
        level: event.level,
        message: event.message,
        data: null,
      }
    }

    const data = {
      phase: event.phase,
      bytesDone: event.bytesDone,
      bytesTotal: event.bytesTotal,
      filesDone: event.filesDone,
      filesTotal: event.filesTotal,
    }
    return { ...base, type: 'progress' as const, level: null, message: null, data }
  })

  const events = await JobEvent.createMany(rows)

  const lastProgress = [...rows].reverse().find((row) => row.type === 'progress')
  if (lastProgress) {
    job.progress = lastProgress.data
    await job.save()
  }

  broadcastEvents(job.id, events)
}
