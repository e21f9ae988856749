import { createPrivateKey, verify } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildEngineBundle } from '../src/build/build_engine.js'
import { bundleSha256 } from '../src/bundle/digest.js'
import { generateSigningKey } from '../src/bundle/keys.js'
import { SIGNATURE_PREFIX, signatureMessage, signBundle } from '../src/bundle/signature.js'
import { temporaryFolder, TEST_ENGINE_DIR } from './helpers.js'

// The signed message is part of the trust format: every published signature was made over these
// exact bytes, so a change here breaks every agent that verifies an existing bundle.
const PREFIX = 'coffer-engine-bundle-v1\n'
const SHA256 = 'ab'.repeat(32)

let folder: Awaited<ReturnType<typeof temporaryFolder>>

beforeAll(async () => {
  folder = await temporaryFolder('signature-message')
})

afterAll(async () => {
  await folder?.remove()
})

describe('signature message', () => {
  it('has the domain prefix', () => {
    expect(SIGNATURE_PREFIX).toBe(PREFIX)
  })

  it('is prefix, id, version, sha256 in order', () => {
    const message = signatureMessage('acme/sample', '1.2.3', SHA256)
    expect(message.toString('utf8')).toBe(`${PREFIX}acme/sample\n1.2.3\n${SHA256}`)
  })

  it('is what signBundle signs', async () => {
    const built = await buildEngineBundle({
      packageDir: TEST_ENGINE_DIR,
      outDir: join(folder.path, 'out'),
    })
    const key = generateSigningKey()
    const signature = signBundle(built.bytes, createPrivateKey(key.privateKeyPem))
    const bytes = Buffer.from(signature.signature, 'base64')
    const sha256 = bundleSha256(built.bytes)
    const expected = Buffer.from(`${PREFIX}coffer-test/echo\n1.2.3\n${sha256}`, 'utf8')
    const withoutPrefix = Buffer.from(`coffer-test/echo\n1.2.3\n${sha256}`, 'utf8')

    expect(verify(null, expected, key.publicKey.key, bytes)).toBe(true)
    expect(verify(null, withoutPrefix, key.publicKey.key, bytes)).toBe(false)
  })
})
