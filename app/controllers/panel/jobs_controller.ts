import type { HttpContext } from '@adonisjs/core/http'
import Job from '#models/job'
import JobEvent from '#models/job_event'
import Snapshot from '#models/snapshot'
import { cancelJob } from '#services/jobs/cancel_job'
import { enqueueJob } from '#services/jobs/enqueue_job'
import { jobChannel } from '#services/jobs/job_broadcast'
import { downloadArchiveState, openDownloadArchive } from '#services/downloads/download_archive'
import { startBackup } from '#services/backups/start_backup'
import Resource from '#models/resource'
import Destination from '#models/destination'

/** A job's page with its live log, and the cancel and retry actions. */
export default class JobsController {
  async index({ view }: HttpContext) {
    const jobs = await Job.query().preload('resource').orderBy('created_at', 'desc').limit(100)
    return view.render('pages/jobs/index', { jobs })
  }

  async show({ params, view }: HttpContext) {
    const job = await Job.query()
      .where('id', params.id)
      .preload('resource')
      .preload('destination')
      .preload('leasedAgent')
      .firstOrFail()
    const events = await JobEvent.query().where('job_id', job.id).where('type', 'log').orderBy('id')
    const snapshot = job.payload.snapshotId ? await Snapshot.find(job.payload.snapshotId) : null
    const download = await downloadArchiveState(job)
    const logText = events
      .map((event) => `${event.at.toFormat('HH:mm:ss')} ${event.level} ${event.message}\n`)
      .join('')
    return view.render('pages/jobs/show', {
      job,
      events,
      logText,
      snapshot,
      download,
      channel: jobChannel(job.id),
    })
  }

  /** Returns the job's state and new log lines as JSON, for pages without server-sent events. */
  async poll({ params, request }: HttpContext) {
    const job = await Job.findOrFail(params.id)
    const after = Number(request.qs().after ?? 0)
    const events = await JobEvent.query()
      .where('job_id', job.id)
      .where('id', '>', Number.isFinite(after) ? after : 0)
      .orderBy('id')
      .limit(500)
    return { status: job.status, progress: job.progress, error: job.error, events }
  }

  async cancel({ params, response, session }: HttpContext) {
    const job = await Job.findOrFail(params.id)
    const cancelled = await cancelJob(job)
    session.flash(
      cancelled ? 'success' : 'error',
      cancelled ? 'Cancellation requested.' : 'The job already ended.'
    )
    return response.redirect().toPath(`/jobs/${job.id}`)
  }

  /** Queues the same work again as a new job; a backup gets a new snapshot id. */
  async retry({ params, response, session, auth }: HttpContext) {
    const job = await Job.findOrFail(params.id)
    if (!job.isFinal) {
      session.flash('error', 'The job is still running; cancel it first or wait for it to end.')
      return response.redirect().toPath(`/jobs/${job.id}`)
    }

    let retried: Job
    if (job.kind === 'backup') {
      const resource = await Resource.findOrFail(job.resourceId)
      const destination = await Destination.findOrFail(job.destinationId)
      const volumes = job.payload.resource.volumes
      ;[retried] = await startBackup(resource, destination, auth.user?.email ?? null, volumes)
    } else {
      retried = await enqueueJob({
        kind: job.kind,
        payload: job.payload,
        resourceId: job.resourceId,
        destinationId: job.destinationId,
        serverId: job.serverId,
        agentId: job.agentId,
        requestedBy: auth.user?.email ?? null,
      })
    }

    session.flash(
      retried.status === 'failed' ? 'error' : 'success',
      retried.status === 'failed'
        ? `Retry failed at once: ${retried.error?.message}`
        : 'Job queued again.'
    )
    return response.redirect().toPath(`/jobs/${retried.id}`)
  }

  /**
   * Sends the archive an `extract` job produced. When the archive was deleted, the job page
   * explains why and how to get the files again.
   */
  async download({ params, response, session }: HttpContext) {
    const job = await Job.findOrFail(params.id)
    const archive = await downloadArchiveState(job)
    if (archive.state === 'not-ready') {
      return response.notFound('This download is not ready: the extract job has not succeeded yet.')
    }
    if (archive.state !== 'ready') {
      session.flash('error', archive.message)
      return response.redirect().toPath(`/jobs/${job.id}`)
    }

    const file = await openDownloadArchive(archive.path)
    const { size } = await file.stat()
    const name =
      String(job.payload.paths?.[0] ?? 'files')
        .split('/')
        .filter(Boolean)
        .pop() ?? 'files'
    response.header('content-type', 'application/x-tar')
    response.header('content-length', String(size))
    response.attachment(`${name}.tar`)
    return response.stream(file.createReadStream())
  }
}
