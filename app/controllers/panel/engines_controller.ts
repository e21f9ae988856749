import { readFile } from 'node:fs/promises'
import type { HttpContext } from '@adonisjs/core/http'
import vine from '@vinejs/vine'
import { parsePublicKey } from '@coffer/sdk'
import Engine from '#models/engine'
import PublisherKey from '#models/publisher_key'
import { discoverInstalledEngines } from '#services/engines/discover_engines'
import { recheckBundles, registerBundle } from '#services/engines/register_bundle'
import audit from '#services/audit'

const publisherKeyValidator = vine.create({
  name: vine.string().trim().minLength(1).maxLength(120),
  publicKey: vine.string().trim().maxLength(128),
})

const uploadValidator = vine.create({
  bundle: vine.file({ size: '200mb' }),
  signature: vine.file({ size: '64kb' }),
})

/** The engine registry: installed and uploaded bundles, and the publisher keys admins accept. */
export default class EnginesController {
  async index({ view }: HttpContext) {
    const engines = await Engine.query().orderBy('engine_id').orderBy('created_at', 'desc')
    const keys = await PublisherKey.query().orderBy('name')
    return view.render('pages/engines/index', { engines, keys })
  }

  /** Registers the bundles of the engine packages installed with the controller. */
  async scan({ response, session }: HttpContext) {
    const registered = await discoverInstalledEngines()
    const accepted = registered.filter((engine) => engine.status === 'accepted').length
    session.flash(
      registered.length === 0 ? 'error' : 'success',
      registered.length === 0
        ? 'No signed engine bundle was found. Build and sign the engines (see docs/engines.md), then scan again.'
        : `Found ${registered.length} bundles: ${accepted} accepted, ${registered.length - accepted} rejected.`
    )
    return response.redirect().toPath('/engines')
  }

  /** Registers an uploaded bundle and its detached signature. */
  async upload({ request, response, session }: HttpContext) {
    const { bundle, signature } = await request.validateUsing(uploadValidator)
    const engine = await registerBundle(
      await readFile(bundle.tmpPath!),
      await readFile(signature.tmpPath!, 'utf8'),
      'upload'
    )

    session.flash(
      engine.status === 'accepted' ? 'success' : 'error',
      engine.status === 'accepted'
        ? `Engine ${engine.engineId} ${engine.version} accepted.`
        : `The bundle was rejected: ${engine.rejectionReason}`
    )
    return response.redirect().toPath('/engines')
  }

  /** Accepts a publisher key, then checks every recorded bundle again. */
  async storeKey(ctx: HttpContext) {
    const { request, response, session } = ctx
    const input = await request.validateUsing(publisherKeyValidator)

    let keyId: string
    try {
      keyId = parsePublicKey(input.publicKey).keyId
    } catch (error) {
      session.flash('error', `The public key is invalid: ${(error as Error).message}`)
      return response.redirect().back()
    }

    await PublisherKey.updateOrCreate({ keyId }, { name: input.name, publicKey: input.publicKey })
    await audit.record(ctx, 'settings.changed', { setting: 'publisher_key.accepted', keyId })
    await recheckBundles()

    session.flash('success', `Publisher key ${input.name} accepted; bundles were checked again.`)
    return response.redirect().toPath('/engines')
  }

  async destroyKey(ctx: HttpContext) {
    const { params, response, session } = ctx
    const key = await PublisherKey.findOrFail(params.id)
    await key.delete()
    await audit.record(ctx, 'settings.changed', {
      setting: 'publisher_key.removed',
      keyId: key.keyId,
    })
    await recheckBundles()

    session.flash(
      'success',
      `Publisher key ${key.name} removed; its bundles are no longer shipped.`
    )
    return response.redirect().toPath('/engines')
  }
}
