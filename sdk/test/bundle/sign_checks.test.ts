import { createPrivateKey, sign } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildEngineBundle } from '../../src/build/build_engine.js'
import { checkBundleContents } from '../../src/bundle/contents.js'
import { sha256Hex } from '../../src/bundle/digest.js'
import { generateSigningKey } from '../../src/bundle/keys.js'
import { signatureMessage, signBundle } from '../../src/bundle/signature.js'
import { packTar, readTar } from '../../src/bundle/tar.js'
import { verifyBundle } from '../../src/bundle/verify.js'
import { isCofferError, type CofferError } from '../../src/errors.js'
import { temporaryFolder, TEST_ENGINE_DIR } from '../helpers.js'

const publisher = generateSigningKey()
const privateKey = createPrivateKey(publisher.privateKeyPem)
let folder: Awaited<ReturnType<typeof temporaryFolder>>
let bundle: Buffer

beforeAll(async () => {
  folder = await temporaryFolder('sign-checks')
  const built = await buildEngineBundle({
    packageDir: TEST_ENGINE_DIR,
    outDir: join(folder.path, 'out'),
  })
  bundle = built.bytes
})

afterAll(async () => {
  await folder?.remove()
})

function caught(run: () => unknown): CofferError {
  try {
    run()
  } catch (error) {
    expect(isCofferError(error), `expected a CofferError, got ${String(error)}`).toBe(true)
    return error as CofferError
  }

  throw new Error('expected a CofferError')
}

// The code verifyBundle raises for `bytes` under a valid signature of its sha256.
function verifyCode(bytes: Buffer, version = '1.2.3'): string {
  const sha256 = sha256Hex(bytes)
  const signed = sign(null, signatureMessage('coffer-test/echo', version, sha256), privateKey)
  const signature = {
    keyId: publisher.publicKey.keyId,
    id: 'coffer-test/echo',
    version,
    sha256,
    signature: signed.toString('base64'),
  }
  return caught(() => verifyBundle(bytes, signature, [publisher.publicKey])).code
}

function withFile(name: string, change: (data: Buffer) => Buffer): Buffer {
  const files = readTar(bundle)
  const file = files.find((entry) => entry.name === name)!
  file.data = change(file.data)
  return packTar(files)
}

describe('signBundle checks', () => {
  it('signs a valid bundle', () => {
    expect(checkBundleContents(bundle).manifest.id).toBe('coffer-test/echo')
    expect(signBundle(bundle, privateKey).version).toBe('1.2.3')
  })

  it('rejects an invalid manifest version', () => {
    const repacked = withFile('engine.json', (data) => {
      const manifest = JSON.parse(data.toString('utf8'))
      return Buffer.from(JSON.stringify({ ...manifest, version: '1.0' }))
    })
    const error = caught(() => signBundle(repacked, privateKey))
    expect(error.code).toBe('INVALID_MANIFEST')
    expect(error.message).toContain('cannot sign the bundle, because verify would reject it')
    expect(error.message).toContain('version: must be a semantic version such as 1.0.0, got "1.0"')
    expect(verifyCode(repacked, '1.0')).toBe(error.code)
  })

  it('rejects a changed engine.js', () => {
    const changed = withFile('engine.js', (data) => Buffer.concat([data, Buffer.from('\n')]))
    const error = caught(() => signBundle(changed, privateKey))
    expect(error.code).toBe('DIGEST_MISMATCH')
    expect(error.details?.file).toBe('engine.js')
    expect(error.message).toContain('rebuild the bundle with "coffer-engine build"')
    expect(verifyCode(changed)).toBe(error.code)
  })

  it('rejects an unlisted file', () => {
    const extended = packTar([...readTar(bundle), { name: 'extra.js', data: Buffer.from('1') }])
    const error = caught(() => signBundle(extended, privateKey))
    expect(error.code).toBe('DIGEST_MISMATCH')
    expect(verifyCode(extended)).toBe(error.code)
  })

  it('rejects a bundle without engine.json', () => {
    const stripped = packTar(readTar(bundle).filter((file) => file.name !== 'engine.json'))
    const error = caught(() => signBundle(stripped, privateKey))
    expect(error.code).toBe('INVALID_MANIFEST')
    expect(verifyCode(stripped)).toBe(error.code)
  })

  it('rejects bytes that are not a tar', () => {
    const error = caught(() => signBundle(Buffer.from('export default {}\n'), privateKey))
    expect(error.code).toBe('CORRUPT')
  })
})
