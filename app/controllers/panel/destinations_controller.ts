import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import logger from '@adonisjs/core/services/logger'
import { testDestination } from '@coffer/agent/destinations'
import type { EngineManifest } from '@coffer/sdk'
import Destination from '#models/destination'
import Engine from '#models/engine'
import Snapshot from '#models/snapshot'
import { destinationValidator } from '#validators/destination'
import {
  buildDestinationSettings,
  describeStoredSecrets,
} from '#services/destinations/destination_form'
import { buildEngineOptions, engineOptionFields } from '#services/destinations/engine_option_fields'
import {
  readDestinationSecrets,
  writeDestinationSecrets,
} from '#services/destinations/destination_secrets'
import { findShippableEngine } from '#services/engines/find_shippable_engine'

/** Destinations: where backups land, the engine that writes them, and the Test button. */
export default class DestinationsController {
  async index({ view }: HttpContext) {
    const destinations = await Destination.query().orderBy('name')
    const usage = await Snapshot.query()
      .whereIn('status', ['succeeded', 'succeeded_with_warnings'])
      .groupBy('destination_id')
      .select('destination_id')
      .count('* as snapshots')
      .sum('size_bytes as bytes')
    const usageById = new Map(
      usage.map((row) => [
        row.destinationId,
        { snapshots: Number(row.$extras.snapshots), bytes: Number(row.$extras.bytes ?? 0) },
      ])
    )
    return view.render('pages/destinations/index', { destinations, usageById })
  }

  async create({ view }: HttpContext) {
    return view.render('pages/destinations/form', await this.formData(null))
  }

  async store({ request, response, session }: HttpContext) {
    const destination = new Destination()
    const saved = await this.save(destination, request, session)
    if (!saved) {
      return response.redirect().back()
    }
    session.flash('success', `Destination ${destination.name} saved. Run Test to check it.`)
    return response.redirect().toPath(`/destinations/${destination.id}`)
  }

  async show({ params, view }: HttpContext) {
    const destination = await Destination.findOrFail(params.id)
    const snapshots = await Snapshot.query()
      .where('destination_id', destination.id)
      .preload('resource')
      .preload('agent')
      .orderBy('started_at', 'desc')
      .limit(100)
    const stored = snapshots.filter((snapshot) => snapshot.isRestorable)
    const bytesByHost = new Map<string, number>()
    for (const snapshot of stored) {
      const host = snapshot.agent?.hostname ?? 'unknown host'
      bytesByHost.set(host, (bytesByHost.get(host) ?? 0) + snapshot.sizeBytes)
    }
    return view.render('pages/destinations/show', {
      destination,
      snapshots,
      totalBytes: stored.reduce((sum, snapshot) => sum + snapshot.sizeBytes, 0),
      bytesByHost: [...bytesByHost.entries()],
    })
  }

  async edit({ params, view }: HttpContext) {
    const destination = await Destination.findOrFail(params.id)
    return view.render('pages/destinations/form', await this.formData(destination))
  }

  async update({ params, request, response, session }: HttpContext) {
    const destination = await Destination.findOrFail(params.id)
    const saved = await this.save(destination, request, session)
    if (!saved) {
      return response.redirect().back()
    }
    session.flash('success', `Destination ${destination.name} saved.`)
    return response.redirect().toPath(`/destinations/${destination.id}`)
  }

  async destroy({ params, response, session }: HttpContext) {
    const destination = await Destination.findOrFail(params.id)
    const snapshots = await Snapshot.query().where('destination_id', destination.id).first()
    if (snapshots) {
      session.flash(
        'error',
        `Destination ${destination.name} still holds snapshots. Delete them first, so their files are removed too.`
      )
      return response.redirect().back()
    }

    await destination.delete()
    session.flash('success', `Destination ${destination.name} removed.`)
    return response.redirect().toPath('/destinations')
  }

  /**
   * Connects with the same driver code the agents use, writes, reads back and deletes a probe
   * object, and shows the latency or the specific error.
   */
  async test({ params, response, session }: HttpContext) {
    const destination = await Destination.findOrFail(params.id)
    const secrets = readDestinationSecrets(destination, 'secrets')
    const result = await testDestination(destination.config as any, secrets)

    destination.lastTestedAt = DateTime.now()
    destination.lastTestResult = result
    await destination.save()
    logger.info({ destinationId: destination.id, ok: result.ok }, 'destination tested')

    if (result.ok) {
      session.flash('success', `Test passed in ${Math.round(result.latencyMs)} ms.`)
    } else {
      session.flash('error', `Test failed (${result.code}): ${result.message}`)
    }
    return response.redirect().toPath(`/destinations/${destination.id}`)
  }

  /** Pins the SSH host key the last Test saw, after the admin compared its fingerprint. */
  async acceptHostKey({ params, response, session }: HttpContext) {
    const destination = await Destination.findOrFail(params.id)
    const result = destination.lastTestResult
    if (!result || result.ok || !result.hostKey) {
      session.flash('error', 'There is no host key to accept. Run Test first.')
      return response.redirect().back()
    }

    const config = { ...destination.config }
    if (result.hostRole === 'jump' && config.jump) {
      config.jump = {
        ...config.jump,
        hostKey: result.hostKey,
        hostKeyFingerprint: result.fingerprint,
      }
    } else {
      config.hostKey = result.hostKey
      config.hostKeyFingerprint = result.fingerprint
    }
    destination.config = config
    destination.lastTestResult = null
    await destination.save()

    session.flash('success', `Host key ${result.fingerprint} pinned. Run Test again.`)
    return response.redirect().toPath(`/destinations/${destination.id}`)
  }

  private async save(
    destination: Destination,
    request: HttpContext['request'],
    session: HttpContext['session']
  ) {
    const input = await request.validateUsing(destinationValidator)
    const isNew = !destination.$isPersisted

    if (!isNew && destination.engineId !== input.engineId) {
      const existing = await Snapshot.query().where('destination_id', destination.id).first()
      if (existing) {
        session.flash(
          'error',
          'The engine cannot change while the destination holds snapshots written by the current one.'
        )
        return false
      }
    }

    const engine = await findShippableEngine(input.engineId)
    if (!engine?.manifest) {
      session.flash(
        'error',
        `Engine ${input.engineId} has no accepted bundle. Check the Engines page.`
      )
      return false
    }

    if (isNew) {
      destination.id = crypto.randomUUID()
    }
    const previousSecrets = isNew ? {} : readDestinationSecrets(destination, 'secrets')
    const previousEngineSecrets = isNew ? {} : readDestinationSecrets(destination, 'engine_secrets')

    const settings = buildDestinationSettings(
      input,
      previousSecrets,
      isNew ? {} : destination.config
    )
    const engineOptions = buildEngineOptions(
      engine.manifest as EngineManifest,
      (input.engineOptions ?? {}) as Record<string, unknown>,
      previousEngineSecrets
    )
    if (Object.keys(engineOptions.errors).length > 0) {
      session.flashAll()
      session.flash('errorsBag', engineOptions.errors)
      session.flash(
        'error',
        `Engine options are invalid: ${Object.entries(engineOptions.errors)
          .map(([field, message]) => `${field}: ${message}`)
          .join('; ')}`
      )
      return false
    }

    destination.merge({
      name: input.name,
      kind: input.kind,
      engineId: input.engineId,
      config: settings.config,
      engineOptions: engineOptions.options,
    })
    writeDestinationSecrets(destination, 'secrets', settings.secrets)
    writeDestinationSecrets(destination, 'engine_secrets', engineOptions.secrets)
    await destination.save()
    return true
  }

  private async formData(destination: Destination | null) {
    const engines = await Engine.query().where('status', 'accepted').orderBy('engine_id')
    const latestById = new Map<string, Engine>()
    for (const engine of engines) {
      latestById.set(engine.engineId, (await findShippableEngine(engine.engineId)) ?? engine)
    }
    const choices = [...latestById.values()].map((engine) => ({
      id: engine.engineId,
      name: engine.manifest?.name ?? engine.engineId,
      fields: engineOptionFields(engine.manifest as EngineManifest),
    }))

    return {
      destination,
      engines: choices,
      storedSecrets: destination
        ? describeStoredSecrets(readDestinationSecrets(destination, 'secrets'))
        : {},
      storedEngineSecrets: destination
        ? Object.keys(readDestinationSecrets(destination, 'engine_secrets'))
        : [],
    }
  }
}
