import type { HttpContext } from '@adonisjs/core/http'
import Destination from '#models/destination'
import Instance from '#models/instance'
import audit from '#services/audit'
import { CoolifyError } from '#services/coolify/coolify_error'
import { syncCoolifyInstance } from '#services/coolify/sync_coolify_instance'
import { writeCoolifyToken } from '#services/instances/coolify_token'
import { reconcileDestination } from '#services/reconciliation/reconcile_destination'
import { coolifyConnectValidator } from '#validators/schedule'

/** Coolify: connecting an instance, syncing it on demand, and verifying a destination. */
export default class CoolifyController {
  /** Saves the URL and token of a Coolify instance, then syncs it at once. */
  async connect(ctx: HttpContext) {
    const { params, request, response, session } = ctx
    const instance = await Instance.findOrFail(params.id)
    if (instance.kind !== 'coolify') {
      session.flash(
        'error',
        `Instance ${instance.name} is a plain Docker host; it has no Coolify API.`
      )
      return response.redirect().back()
    }

    const input = await request.validateUsing(coolifyConnectValidator)
    instance.coolifyUrl = input.coolifyUrl
    if (input.coolifyToken) {
      writeCoolifyToken(instance, input.coolifyToken)
    }
    await instance.save()
    await audit.record(ctx, 'coolify.connected', {
      instanceId: instance.id,
      tokenChanged: Boolean(input.coolifyToken),
    })

    return this.#syncAndReport(instance, ctx)
  }

  async sync(ctx: HttpContext) {
    const instance = await Instance.findOrFail(ctx.params.id)
    return this.#syncAndReport(instance, ctx)
  }

  /** Queues the check that every recorded snapshot of a destination is still there. */
  async verifyDestination(ctx: HttpContext) {
    const { params, response, session, auth } = ctx
    const destination = await Destination.findOrFail(params.id)
    const jobs = await reconcileDestination(destination, auth.user?.email ?? null)
    await audit.record(ctx, 'destination.verify_requested', { destinationId: destination.id })

    const failed = jobs.filter((job) => job.status === 'failed')
    if (jobs.length === 0) {
      session.flash('success', `Destination ${destination.name} has no snapshot to verify.`)
    } else if (failed.length > 0) {
      session.flash(
        'error',
        `${failed.length} of ${jobs.length} verify job(s) could not start: ${failed[0].error?.message}`
      )
    } else {
      session.flash('success', `Queued ${jobs.length} verify job(s) for ${destination.name}.`)
    }
    return response.redirect().toPath(`/destinations/${destination.id}`)
  }

  async #syncAndReport(instance: Instance, { response, session }: HttpContext) {
    try {
      const report = await syncCoolifyInstance(instance)
      const warnings = report.warnings.length ? ` ${report.warnings.join(' ')}` : ''
      session.flash(
        'success',
        `Synced Coolify ${report.version}: ${report.servers} server(s), ${report.resources} resource(s), ${report.markedMissing} newly missing.${warnings}`
      )
    } catch (error) {
      if (!(error instanceof CoolifyError)) {
        throw error
      }
      session.flash('error', error.message)
    }
    return response.redirect().toPath(`/instances/${instance.id}`)
  }
}
