import { mkdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  generateSigningKey,
  loadPrivateKeyFile,
  parsePublicKey,
  parsePublicKeys,
  writePrivateKeyFile,
} from '../../src/bundle/keys.js'
import { hideKeyMaterial, looksLikeKeyMaterial } from '../../src/bundle/key_material.js'
import { parseSignature } from '../../src/bundle/signature.js'
import { isCofferError, type CofferError } from '../../src/errors.js'
import { temporaryFolder } from '../helpers.js'

let folder: Awaited<ReturnType<typeof temporaryFolder>>
const key = generateSigningKey()
// The base64 body of the PEM, which carries the secret seed.
const keyBody = key.privateKeyPem.split('\n')[1]

beforeAll(async () => {
  folder = await temporaryFolder('keys')
})

afterAll(async () => {
  await folder?.remove()
})

function thrownMessage(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    return (error as Error).message
  }

  throw new Error('expected a throw')
}

async function loadFailure(path: string): Promise<CofferError> {
  const error = await loadPrivateKeyFile(path).then(
    () => undefined,
    (reason: unknown) => reason
  )
  expect(isCofferError(error), `expected a CofferError, got ${String(error)}`).toBe(true)
  return error as CofferError
}

describe('loadPrivateKeyFile', () => {
  it('rejects key text as path without quoting it', async () => {
    const error = await loadFailure(key.privateKeyPem)
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(error.message).not.toContain(keyBody)
    expect(error.message).not.toContain('BEGIN')
    expect(error.message).toContain('pass the path of the private key file')
  })

  it('reports a missing file as not found', async () => {
    const path = join(folder.path, 'missing.pem')
    const error = await loadFailure(path)
    expect(error.code).toBe('NOT_FOUND')
    expect(error.message).toContain(`private key file not found: ${path}`)
    expect(error.message).toContain('coffer-engine keygen --out <file>')
  })

  it('rejects a public key file', async () => {
    const path = join(folder.path, 'public.key')
    await writeFile(path, `${key.publicKey.text}\n`, { mode: 0o600 })
    const error = await loadFailure(path)
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(error.message).toContain('is a public key; sign with the private key file')
  })

  it('rejects a public key PEM file', async () => {
    const path = join(folder.path, 'public.pem')
    const pem = key.publicKey.key.export({ format: 'pem', type: 'spki' }).toString()
    await writeFile(path, pem, { mode: 0o600 })
    expect((await loadFailure(path)).message).toContain('is a public key')
  })

  it('rejects a public key given as path', async () => {
    const error = await loadFailure(key.publicKey.text)
    expect(error.message).toContain('is a public key; sign with the private key file')
  })

  it('rejects a file without a key', async () => {
    const path = join(folder.path, 'notes.txt')
    await writeFile(path, 'not a key\n', { mode: 0o600 })
    const error = await loadFailure(path)
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(error.message).toContain('does not contain an unencrypted PKCS#8 PEM private key')
    expect(error.message).not.toContain('not a key')
  })

  it('rejects a folder', async () => {
    const path = join(folder.path, 'a-folder')
    await mkdir(path, { mode: 0o700 })
    expect((await loadFailure(path)).message).toContain('is a folder')
  })
})

describe('writePrivateKeyFile', () => {
  it('creates missing folders with mode 0700', async () => {
    const path = join(folder.path, 'home', '.config', 'coffer', 'engines.pem')
    await writePrivateKeyFile(path, key.privateKeyPem)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await stat(join(folder.path, 'home', '.config'))).mode & 0o777).toBe(0o700)
    expect((await stat(join(folder.path, 'home', '.config', 'coffer'))).mode & 0o777).toBe(0o700)
    await expect(loadPrivateKeyFile(path)).resolves.toBeDefined()
  })
})

describe('public key parsing', () => {
  it('hides a private key given as public key', () => {
    const message = thrownMessage(() => parsePublicKey(key.privateKeyPem))
    expect(message).toContain('invalid public key')
    expect(message).not.toContain(keyBody.slice(0, 20))
    expect(message).not.toContain('BEGIN')
  })

  it('names the line of a bad key', () => {
    const text = `# keys\n${key.publicKey.text}\nssh-ed25519 AAAA\n`
    expect(() => parsePublicKeys(text)).toThrow(/^line 3: invalid public key "ssh-ed25519"/)
  })

  it('hides a private key file given as keys file', () => {
    const message = thrownMessage(() => parsePublicKeys(key.privateKeyPem))
    expect(message).toMatch(/^line 1: invalid public key: /)
    expect(message).not.toContain(keyBody.slice(0, 20))
  })
})

describe('key material guards', () => {
  it('detects PEM text and line breaks', () => {
    expect(looksLikeKeyMaterial(key.privateKeyPem)).toBe(true)
    expect(looksLikeKeyMaterial('a\nb')).toBe(true)
    expect(looksLikeKeyMaterial('/home/me/.config/coffer/engines.pem')).toBe(false)
  })

  it('hides a PEM block in text', () => {
    const text = `stat '${key.privateKeyPem.trim()}' failed`
    const hidden = hideKeyMaterial(text)
    expect(hidden).toBe("stat '[key material hidden]' failed")
  })

  it('hides a PEM block without footer', () => {
    const hidden = hideKeyMaterial(`value "-----BEGIN PRIVATE KEY-----\\n${keyBody}`)
    expect(hidden).toBe('value "[key material hidden]')
  })

  it('keeps key text out of signature errors', () => {
    const message = thrownMessage(() => parseSignature(`{"keyId": ${keyBody}}`))
    expect(message).toContain('signature file is not valid JSON')
    expect(message).not.toContain(keyBody.slice(0, 10))
  })
})
