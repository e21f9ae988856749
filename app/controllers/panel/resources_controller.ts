import type { HttpContext } from '@adonisjs/core/http'
import Resource from '#models/resource'
import Destination from '#models/destination'
import Snapshot from '#models/snapshot'
import Instance from '#models/instance'
import {
  backupNowValidator,
  listFiltersValidator,
  resourceSettingsValidator,
} from '#validators/resource'
import { startBackup } from '#services/backups/start_backup'

/** Resources: what gets backed up, their settings and "Back up now". */
export default class ResourcesController {
  async index({ request, view }: HttpContext) {
    const filters = await listFiltersValidator.validate(request.qs())
    const query = Resource.query().preload('server').orderBy('name')
    if (filters.instance) {
      query.where('instance_id', filters.instance)
    }
    if (filters.q) {
      query.whereILike('name', `%${filters.q}%`)
    }

    const resources = await query
    const instances = await Instance.query().orderBy('name')
    const instanceNames = new Map(instances.map((instance) => [instance.id, instance.name]))
    return view.render('pages/resources/index', { resources, instances, instanceNames, filters })
  }

  async show({ params, view }: HttpContext) {
    const resource = await Resource.query().where('id', params.id).preload('server').firstOrFail()
    const instance = await Instance.findOrFail(resource.instanceId)
    const snapshots = await Snapshot.query()
      .where('resource_id', resource.id)
      .preload('resource')
      .orderBy('started_at', 'desc')
      .limit(50)
    const destinations = await Destination.query().orderBy('name')
    return view.render('pages/resources/show', { resource, instance, snapshots, destinations })
  }

  async backupNow({ params, request, response, session, auth }: HttpContext) {
    const resource = await Resource.findOrFail(params.id)
    const { destinationId } = await request.validateUsing(backupNowValidator)
    const destination = await Destination.findOrFail(destinationId)

    const jobs = await startBackup(resource, destination, auth.user?.email ?? null)
    const failed = jobs.find((job) => job.status === 'failed')
    if (failed) {
      session.flash('error', `The backup cannot start: ${failed.error?.message}`)
      return response.redirect().toPath(`/resources/${resource.id}`)
    }

    session.flash('success', `Backup of ${resource.name} queued.`)
    return response.redirect().toPath(`/jobs/${jobs[0].id}`)
  }

  async updateSettings({ params, request, response, session }: HttpContext) {
    const resource = await Resource.findOrFail(params.id)
    const input = await request.validateUsing(resourceSettingsValidator)

    resource.backupEnabled = input.backupEnabled ?? false
    resource.liveMode = input.liveMode ?? false
    resource.hooks =
      input.hookContainer && (input.preHook || input.postHook)
        ? [
            {
              container: input.hookContainer,
              pre: input.preHook ? ['sh', '-c', input.preHook] : undefined,
              post: input.postHook ? ['sh', '-c', input.postHook] : undefined,
            },
          ]
        : null
    await resource.save()

    session.flash('success', 'Backup settings saved.')
    return response.redirect().toPath(`/resources/${resource.id}`)
  }
}
