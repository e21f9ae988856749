import { createPrivateKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  formatSignature,
  generateSigningKey,
  packBundle,
  signBundle,
  type BundleSignature,
  type PublicKeyInfo,
} from '@coffer/sdk'

/** A signed bundle of the test engine, as the fake controller serves it. */
export interface TestBundle {
  bytes: Buffer
  signature: BundleSignature
  signatureText: string
  digest: string
  id: string
  version: string
}

/** A throwaway publisher key and the bundles it signs. */
export interface TestPublisher {
  publicKey: PublicKeyInfo
  build(version: string): TestBundle
  /** Signs a bundle built elsewhere, such as one of the project's engines. */
  sign(bytes: Buffer): TestBundle
}

const ENGINE_SOURCE = readFileSync(
  fileURLToPath(new URL('../fixtures/test_engine.mjs', import.meta.url))
)

/** Creates a throwaway publisher key that signs builds of the test engine. */
export function createTestPublisher(): TestPublisher {
  const generated = generateSigningKey()
  const privateKey = createPrivateKey(generated.privateKeyPem)

  const sign = (bytes: Buffer): TestBundle => {
    const signature = signBundle(bytes, privateKey)
    return {
      bytes,
      signature,
      signatureText: formatSignature(signature),
      digest: signature.sha256,
      id: signature.id,
      version: signature.version,
    }
  }

  return {
    publicKey: generated.publicKey,
    sign,
    build(version: string): TestBundle {
      const packed = packBundle(
        {
          id: 'coffer-test/tar-cli',
          version,
          name: 'Test tar engine',
          description: 'Stores each snapshot as one tar archive made by the system tar',
          apiVersions: [1],
          minAgentVersion: '0.1.0',
          entry: 'engine.mjs',
          capabilities: {
            incremental: false,
            dedup: false,
            nativeEncryption: false,
            fileListing: true,
            partialRestore: true,
            verifyLevels: ['structure'],
            sources: ['path', 'tar-stream'],
          },
          permissions: { processes: ['tar'], network: 'none' },
          optionsSchema: { type: 'object', properties: { holdMs: { type: 'integer' } } },
          secretOptions: [],
          hostSecrets: [],
        },
        new Map([['engine.mjs', ENGINE_SOURCE]])
      )
      const signature = signBundle(packed.bytes, privateKey)
      return {
        bytes: packed.bytes,
        signature,
        signatureText: formatSignature(signature),
        digest: signature.sha256,
        id: signature.id,
        version,
      }
    },
  }
}
