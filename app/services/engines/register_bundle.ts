import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import logger from '@adonisjs/core/services/logger'
import {
  bundleSha256,
  isCofferError,
  parseSignature,
  verifyBundle,
  type BundleSignature,
} from '@coffer/sdk'
import Engine from '#models/engine'
import PublisherKey from '#models/publisher_key'
import { engineStorePath } from '#services/engines/engine_store'

/**
 * Verifies a bundle against the publisher keys the admin accepted and records it: accepted, or
 * rejected with the reason. A rejected bundle is kept for the record but never shipped. The same
 * bundle (by digest) is recorded once; registering it again re-checks it.
 */
export async function registerBundle(
  bundle: Buffer,
  signatureText: string,
  source: Engine['source']
) {
  const digest = bundleSha256(bundle)
  const bundlePath = `${digest}.bundle`
  await mkdir(engineStorePath(), { recursive: true })
  await writeFile(join(engineStorePath(), bundlePath), bundle, { mode: 0o644 })

  let signature: BundleSignature | null = null
  const fields: Partial<Engine> = { digest, bundlePath, source }

  try {
    signature = parseSignature(signatureText)
    fields.engineId = signature.id
    fields.version = signature.version
    fields.keyId = signature.keyId
    fields.signature = signature as unknown as Record<string, unknown>

    const keys = await PublisherKey.all()
    const verified = verifyBundle(
      bundle,
      signature,
      keys.map((key) => key.publicKey)
    )
    fields.manifest = verified.manifest as unknown as Record<string, unknown>
    fields.status = 'accepted'
    fields.rejectionReason = null
  } catch (error) {
    if (!isCofferError(error)) {
      throw error
    }
    fields.engineId ??= 'unknown'
    fields.version ??= '0.0.0'
    fields.status = 'rejected'
    fields.rejectionReason = `${error.code}: ${error.message}`
  }

  const engine = await Engine.updateOrCreate({ digest }, fields)
  logger.info(
    { engineId: engine.engineId, version: engine.version, digest, status: engine.status },
    'engine bundle registered'
  )
  return engine
}

/** Checks every recorded bundle again, for example after a publisher key was accepted. */
export async function recheckBundles() {
  const { readFile } = await import('node:fs/promises')
  const engines = await Engine.all()

  for (const engine of engines) {
    if (!engine.signature) {
      continue
    }
    const bundle = await readFile(join(engineStorePath(), engine.bundlePath))
    await registerBundle(bundle, JSON.stringify(engine.signature), engine.source)
  }
}
