import { sign } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildEngineBundle } from '../../src/build/build_engine.js'
import { sha256Hex } from '../../src/bundle/digest.js'
import { generateSigningKey, type GeneratedSigningKey } from '../../src/bundle/keys.js'
import { signatureMessage, signBundle, type BundleSignature } from '../../src/bundle/signature.js'
import { packTar, readTar } from '../../src/bundle/tar.js'
import { verifyBundle, type VerifyBundleOptions } from '../../src/bundle/verify.js'
import { isCofferError, type CofferError } from '../../src/errors.js'
import { createPrivateKey } from 'node:crypto'
import { temporaryFolder, TEST_ENGINE_DIR } from '../helpers.js'

let folder: Awaited<ReturnType<typeof temporaryFolder>>
let bundle: Buffer
let publisher: GeneratedSigningKey

function privateKeyOf(key: GeneratedSigningKey) {
  return createPrivateKey(key.privateKeyPem)
}

function rejectionOf(
  bytes: Buffer,
  signature: BundleSignature,
  trusted: string[],
  options?: VerifyBundleOptions
): CofferError {
  try {
    verifyBundle(bytes, signature, trusted, options)
  } catch (error) {
    expect(isCofferError(error)).toBe(true)
    return error as CofferError
  }

  throw new Error('expected verifyBundle to reject the bundle')
}

// Signs the message for `id` and `version` over the bundle's real sha256, as a publisher key
// that signed a different release would. It skips signBundle's checks of the bundle's content,
// so it also signs the damaged bundles that signBundle rejects.
function signAs(bytes: Buffer, id: string, version: string): BundleSignature {
  const sha256 = sha256Hex(bytes)
  const signature = sign(null, signatureMessage(id, version, sha256), privateKeyOf(publisher))
  return {
    keyId: publisher.publicKey.keyId,
    id,
    version,
    sha256,
    signature: signature.toString('base64'),
  }
}

// Rewrites engine.json in a bundle with `change` applied, keeping every other file.
function withManifest(bytes: Buffer, change: (manifest: Record<string, unknown>) => void): Buffer {
  const files = readTar(bytes)
  const manifestFile = files.find((file) => file.name === 'engine.json')!
  const manifest = JSON.parse(manifestFile.data.toString('utf8'))
  change(manifest)
  manifestFile.data = Buffer.from(JSON.stringify(manifest))
  return packTar(files)
}

beforeAll(async () => {
  folder = await temporaryFolder('bundle')
  const built = await buildEngineBundle({
    packageDir: TEST_ENGINE_DIR,
    outDir: join(folder.path, 'out'),
  })
  bundle = built.bytes
  publisher = generateSigningKey()
})

afterAll(async () => {
  await folder?.remove()
})

describe('bundle build', () => {
  it('gives the same bytes twice', async () => {
    const again = await buildEngineBundle({
      packageDir: TEST_ENGINE_DIR,
      outDir: join(folder.path, 'again'),
    })
    expect(again.bytes.equals(bundle)).toBe(true)
    expect(again.bundlePath.endsWith('coffer-test-echo-1.2.3.bundle')).toBe(true)
  })

  it('writes a normalized ustar', () => {
    const names = readTar(bundle).map((file) => file.name)
    expect(names).toEqual(['engine.js', 'engine.json'])
    const header = bundle.subarray(0, 512)
    expect(header.subarray(100, 108).toString('ascii')).toBe('0000644\0')
    expect(header.subarray(136, 148).toString('ascii')).toBe('00000000000\0')
    expect(header.subarray(257, 263).toString('ascii')).toBe('ustar\0')
  })
})

describe('verifyBundle', () => {
  it('accepts a signed bundle', () => {
    const signature = signBundle(bundle, privateKeyOf(publisher))
    const verified = verifyBundle(bundle, signature, [publisher.publicKey.text])
    expect(verified.manifest.id).toBe('coffer-test/echo')
    expect(verified.manifest.version).toBe('1.2.3')
    expect(verified.keyId).toBe(publisher.publicKey.keyId)
    expect(signature.keyId).toBe(
      sha256Hex(Buffer.from(publisher.publicKey.text.slice('ed25519:'.length), 'base64'))
    )
  })

  it('rejects one changed byte', () => {
    const signature = signBundle(bundle, privateKeyOf(publisher))
    const changed = Buffer.from(bundle)
    changed[600] ^= 0x01
    const error = rejectionOf(changed, signature, [publisher.publicKey.text])
    expect(error.code).toBe('DIGEST_MISMATCH')
    expect(error.message).toContain('altered or truncated')
  })

  it('rejects an unknown key', () => {
    const stranger = generateSigningKey()
    const signature = signBundle(bundle, privateKeyOf(stranger))
    const error = rejectionOf(bundle, signature, [publisher.publicKey.text])
    expect(error.code).toBe('UNKNOWN_KEY')
    expect(error.message).toContain(stranger.publicKey.keyId)
  })

  it('rejects a forged signature', () => {
    const signature = signBundle(bundle, privateKeyOf(publisher))
    const bytes = Buffer.from(signature.signature, 'base64')
    bytes[0] ^= 0x01
    const error = rejectionOf(bundle, { ...signature, signature: bytes.toString('base64') }, [
      publisher.publicKey.text,
    ])
    expect(error.code).toBe('BAD_SIGNATURE')
  })

  it('rejects a signed version the manifest lacks', () => {
    const error = rejectionOf(bundle, signAs(bundle, 'coffer-test/echo', '9.9.9'), [
      publisher.publicKey.text,
    ])
    expect(error.code).toBe('MANIFEST_MISMATCH')
    expect(error.message).toContain('9.9.9')
  })

  it('rejects a signed id the manifest lacks', () => {
    const error = rejectionOf(bundle, signAs(bundle, 'coffer/tar', '1.2.3'), [
      publisher.publicKey.text,
    ])
    expect(error.code).toBe('MANIFEST_MISMATCH')
    expect(error.message).toContain('coffer/tar')
  })

  it('rejects a file whose digest differs', () => {
    const files = readTar(bundle)
    const code = files.find((file) => file.name === 'engine.js')!
    code.data = Buffer.concat([code.data, Buffer.from('\n// appended\n')])
    const tampered = packTar(files)
    const signature = signAs(tampered, 'coffer-test/echo', '1.2.3')
    const error = rejectionOf(tampered, signature, [publisher.publicKey.text])
    expect(error.code).toBe('DIGEST_MISMATCH')
    expect(error.details?.file).toBe('engine.js')
  })

  it('rejects an unlisted file', () => {
    const tampered = packTar([...readTar(bundle), { name: 'extra.js', data: Buffer.from('1') }])
    const signature = signAs(tampered, 'coffer-test/echo', '1.2.3')
    const error = rejectionOf(tampered, signature, [publisher.publicKey.text])
    expect(error.code).toBe('DIGEST_MISMATCH')
    expect(error.details?.file).toBe('extra.js')
  })

  it('rejects an invalid signed manifest', () => {
    const tampered = withManifest(bundle, (manifest) => {
      manifest.apiVersions = []
    })
    const signature = signAs(tampered, 'coffer-test/echo', '1.2.3')
    const error = rejectionOf(tampered, signature, [publisher.publicKey.text])
    expect(error.code).toBe('INVALID_MANIFEST')
    expect(error.message).toContain('apiVersions')
  })

  it('rejects a version downgrade', () => {
    const signature = signBundle(bundle, privateKeyOf(publisher))
    const error = rejectionOf(bundle, signature, [publisher.publicKey.text], {
      minimumVersion: '1.10.0',
    })
    expect(error.code).toBe('VERSION_DOWNGRADE')
  })
})
