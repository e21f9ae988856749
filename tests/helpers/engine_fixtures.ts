import { createPrivateKey } from 'node:crypto'
import {
  formatSignature,
  generateSigningKey,
  packBundle,
  signBundle,
  type EngineManifest,
} from '@coffer/sdk'
import PublisherKey from '#models/publisher_key'
import { registerBundle } from '#services/engines/register_bundle'

/** The manifest of a small engine used by the controller's tests; it is never run. */
export function testManifest(
  overrides: Partial<EngineManifest> = {}
): Omit<EngineManifest, 'files'> {
  return {
    id: 'test/archive',
    version: '1.0.0',
    name: 'Test archive',
    description: 'An engine manifest for the controller tests',
    apiVersions: [1],
    minAgentVersion: '0.1.0',
    entry: 'index.js',
    capabilities: {
      incremental: false,
      dedup: false,
      nativeEncryption: true,
      fileListing: true,
      partialRestore: true,
      verifyLevels: ['structure'],
      sources: ['path'],
    },
    permissions: { processes: [], network: 'destination' },
    optionsSchema: {
      type: 'object',
      properties: {
        compression: { type: 'string', enum: ['zstd', 'gzip', 'none'], default: 'zstd' },
        level: { type: 'integer', minimum: 1, maximum: 19, default: 3 },
        apiToken: { type: 'string', writeOnly: true },
        encryptionKey: { type: 'string', writeOnly: true },
      },
      additionalProperties: false,
    },
    secretOptions: ['apiToken', 'encryptionKey'],
    hostSecrets: [{ name: 'encryptionKey', encoding: 'base64', bytes: 32 }],
    ...overrides,
  }
}

/**
 * Builds and signs a bundle with a throwaway key, accepts that key as a publisher key unless
 * told otherwise, and registers the bundle. Returns the engine record and the signing key.
 */
export async function registerTestEngine(
  options: { trustKey?: boolean; manifest?: Partial<EngineManifest> } = {}
) {
  const key = generateSigningKey()
  const packed = packBundle(
    testManifest(options.manifest),
    new Map([['index.js', Buffer.from('export default {}\n')]])
  )
  const signature = signBundle(packed.bytes, createPrivateKey(key.privateKeyPem))

  if (options.trustKey !== false) {
    await PublisherKey.create({
      name: 'test publisher',
      keyId: key.publicKey.keyId,
      publicKey: key.publicKey.text,
    })
  }

  const engine = await registerBundle(packed.bytes, formatSignature(signature), 'upload')
  return { engine, key, bundle: packed.bytes, signature }
}
