import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import Snapshot from '#models/snapshot'
import Job from '#models/job'
import Resource from '#models/resource'
import Destination from '#models/destination'
import { listFiltersValidator } from '#validators/resource'
import { extractValidator, restoreValidator } from '#validators/snapshot'
import {
  startExtract,
  startForget,
  startListFiles,
  startRestore,
} from '#services/backups/snapshot_jobs'

/**
 * Suggests a new volume name for a restore: the volume's name (the last folder of a bind mount),
 * `-restored-` and the snapshot's time, with the characters Docker rejects replaced by `-`.
 */
function suggestedVolumeName(snapshot: Snapshot) {
  const base = snapshot.volume.split('/').findLast((part) => part !== '') ?? 'volume'
  const stamp = snapshot.startedAt.toFormat('yyyyMMdd-HHmm')
  return `${base}-restored-${stamp}`.replace(/[^a-zA-Z0-9_.-]/g, '-').replace(/^[^a-zA-Z0-9]+/, '')
}

/** Snapshot list, detail, browsing, download, restore and deletion. */
export default class SnapshotsController {
  async index({ request, view }: HttpContext) {
    const filters = await listFiltersValidator.validate(request.qs())
    const query = Snapshot.query().preload('resource').orderBy('started_at', 'desc').limit(200)

    if (filters.resource) query.where('resource_id', filters.resource)
    if (filters.destination) query.where('destination_id', filters.destination)
    if (filters.status) query.where('status', filters.status)
    if (filters.from) query.where('started_at', '>=', DateTime.fromJSDate(filters.from).toSQL()!)
    if (filters.to) {
      query.where('started_at', '<', DateTime.fromJSDate(filters.to).plus({ days: 1 }).toSQL()!)
    }

    const snapshots = await query
    const resources = await Resource.query().orderBy('name')
    const destinations = await Destination.query().orderBy('name')
    return view.render('pages/snapshots/index', { snapshots, filters, resources, destinations })
  }

  async show({ params, view }: HttpContext) {
    const snapshot = await Snapshot.query()
      .where('id', params.id)
      .preload('resource')
      .preload('destination')
      .preload('agent')
      .firstOrFail()
    const job = snapshot.jobId ? await Job.find(snapshot.jobId) : null
    const listing = await this.latestListing(snapshot)
    return view.render('pages/snapshots/show', { snapshot, job, listing })
  }

  /** Queues a listing of the snapshot's files; the page shows it when the job ends. */
  async browse({ params, response, auth }: HttpContext) {
    const snapshot = await Snapshot.findOrFail(params.id)
    const job = await startListFiles(snapshot, auth.user?.email ?? null)
    return response.redirect().toPath(`/jobs/${job.id}`)
  }

  /** Queues the extraction of one file or folder; the job page links the download. */
  async extract({ params, request, response, auth }: HttpContext) {
    const snapshot = await Snapshot.findOrFail(params.id)
    const { path } = await request.validateUsing(extractValidator)
    const job = await startExtract(snapshot, path, auth.user?.email ?? null)
    return response.redirect().toPath(`/jobs/${job.id}`)
  }

  /** The confirmation page of a restore, naming what will be stopped and overwritten. */
  async confirmRestore({ params, view }: HttpContext) {
    const snapshot = await Snapshot.query()
      .where('id', params.id)
      .preload('resource')
      .preload('agent')
      .firstOrFail()
    const containers = await this.containersUsing(snapshot)
    return view.render('pages/snapshots/restore', {
      snapshot,
      containers,
      suggestedVolume: suggestedVolumeName(snapshot),
    })
  }

  async restore({ params, request, response, session, auth }: HttpContext) {
    const snapshot = await Snapshot.query().where('id', params.id).preload('resource').firstOrFail()
    const input = await request.validateUsing(restoreValidator)
    const back = `/snapshots/${snapshot.id}/restore`

    if (!snapshot.isRestorable) {
      session.flash(
        'error',
        `Snapshot ${snapshot.id} is ${snapshot.status}; only successful snapshots can be restored.`
      )
      return response.redirect().toPath(`/snapshots/${snapshot.id}`)
    }

    if (input.target === 'new-volume') {
      const name = input.newVolume!
      if (await this.volumeExistsOnServer(snapshot, name)) {
        session.flash(
          'error',
          `A volume named "${name}" already exists on this server. Choose a name no volume has.`
        )
        return response.redirect().toPath(back)
      }
      const job = await startRestore(snapshot, auth.user?.email ?? null, {
        type: 'new-volume',
        name,
      })
      return response.redirect().toPath(`/jobs/${job.id}`)
    }

    if (input.confirm !== snapshot.volume) {
      session.flash('error', `Type the volume name "${snapshot.volume}" to confirm the restore.`)
      return response.redirect().toPath(back)
    }

    const job = await startRestore(snapshot, auth.user?.email ?? null)
    return response.redirect().toPath(`/jobs/${job.id}`)
  }

  /** Deletes the snapshot's files through an agent first; the record goes when that succeeded. */
  async destroy({ params, response, session, auth }: HttpContext) {
    const snapshot = await Snapshot.findOrFail(params.id)
    if (snapshot.status === 'running' || snapshot.status === 'deleting') {
      session.flash('error', `Snapshot ${snapshot.id} is ${snapshot.status}; wait until it ends.`)
      return response.redirect().toPath(`/snapshots/${snapshot.id}`)
    }

    const job = await startForget(snapshot, auth.user?.email ?? null)
    if (job.status === 'failed') {
      session.flash('error', `The deletion cannot start: ${job.error?.message}`)
      return response.redirect().toPath(`/snapshots/${snapshot.id}`)
    }
    return response.redirect().toPath(`/jobs/${job.id}`)
  }

  private async latestListing(snapshot: Snapshot) {
    const job = await Job.query()
      .where('kind', 'list-files')
      .where('status', 'succeeded')
      .where('snapshot_id', snapshot.id)
      .orderBy('created_at', 'desc')
      .first()
    const files: { path?: string | null }[] | null = job?.result?.files ?? null
    // The volume root itself is not a file to show or download.
    return files?.filter((entry) => entry.path && entry.path !== '.' && entry.path !== '/') ?? null
  }

  /** Loads the agents of the snapshot's server, whose heartbeats list its containers and volumes. */
  private async serverAgents(snapshot: Snapshot) {
    const { default: Agent } = await import('#models/agent')
    return snapshot.resource?.serverId
      ? Agent.query().where('server_id', snapshot.resource.serverId).whereNull('revoked_at')
      : []
  }

  private async containersUsing(snapshot: Snapshot) {
    const names = new Set<string>()
    for (const agent of await this.serverAgents(snapshot)) {
      for (const container of agent.inventory?.containers ?? []) {
        if (
          container.mounts.some(
            (mount) => mount.name === snapshot.volume || mount.source === snapshot.volume
          )
        ) {
          names.add(container.name)
        }
      }
    }
    return [...names]
  }

  /**
   * Tells whether an agent of the server reported a volume of that name. The agent checks again
   * before it creates the volume, and this check catches the mistake before a job is queued.
   */
  private async volumeExistsOnServer(snapshot: Snapshot, name: string) {
    const agents = await this.serverAgents(snapshot)
    return agents.some((agent) =>
      (agent.inventory?.volumes ?? []).some((volume) => volume.name === name)
    )
  }
}
