import Job from '#models/job'
import JobEvent from '#models/job_event'
import Snapshot from '#models/snapshot'
import type { BrowserSession } from '#tests/helpers/browser_session'
import { waitFor, type AgentProcess } from '#tests/helpers/agent_process'
import { jobIdFrom } from '#tests/helpers/e2e_setup'

/** Waits until a job ends and returns it. On timeout, the error ends with the agent's output. */
export async function waitForJob(jobId: string, agent: AgentProcess, timeoutMs = 120_000) {
  try {
    return await waitFor(
      `job ${jobId} to end`,
      async () => {
        const job = await Job.findOrFail(jobId)
        return job.isFinal ? job : undefined
      },
      timeoutMs
    )
  } catch (error) {
    throw new Error(`${(error as Error).message}\nAgent output:\n${agent.output().slice(-4000)}`)
  }
}

/** Returns the log lines a job recorded, oldest first. */
export async function jobLog(jobId: string) {
  const events = await JobEvent.query().where('job_id', jobId).where('type', 'log').orderBy('id')
  return events.map((event) => `${event.level}: ${event.message}`)
}

/**
 * Throws unless the job succeeded, with its error, its log and the agent's last output in the
 * message, so a failed backup or restore names its cause in the test report.
 */
export async function expectSucceeded(job: Job, agent: AgentProcess) {
  if (job.status === 'succeeded') {
    return
  }
  const log = (await jobLog(job.id)).join('\n')
  throw new Error(
    `${job.kind} job ${job.id} ended ${job.status}: ${JSON.stringify(job.error)}\nJob log:\n${log}\nAgent output:\n${agent.output().slice(-3000)}`
  )
}

/** Presses "Back up now" on a resource page for one destination and returns the job id. */
export async function queueBackup(
  browser: BrowserSession,
  resourceId: string,
  destinationId: string
) {
  await browser.get(`/resources/${resourceId}`)
  const backup = await browser.post(`/resources/${resourceId}/backups`, { destinationId })
  return jobIdFrom(backup.location)
}

/** Returns the snapshot a finished backup job recorded. */
export async function snapshotOf(job: Job) {
  return Snapshot.findOrFail(job.payload.snapshotId)
}

/**
 * Opens a snapshot's restore page and confirms with the volume name, as an operator does.
 * Returns the job id.
 */
export async function queueRestore(browser: BrowserSession, snapshot: Snapshot) {
  await browser.get(`/snapshots/${snapshot.id}/restore`)
  const restore = await browser.post(`/snapshots/${snapshot.id}/restore`, {
    confirm: snapshot.volume,
  })
  return jobIdFrom(restore.location)
}

/**
 * Opens a snapshot's restore page and restores into a new volume of the given name. Returns the
 * job id.
 */
export async function queueRestoreIntoNewVolume(
  browser: BrowserSession,
  snapshot: Snapshot,
  newVolume: string
) {
  await browser.get(`/snapshots/${snapshot.id}/restore`)
  const restore = await browser.post(`/snapshots/${snapshot.id}/restore`, {
    target: 'new-volume',
    newVolume,
  })
  return jobIdFrom(restore.location)
}
