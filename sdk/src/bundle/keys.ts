import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { open, readFile, stat } from 'node:fs/promises'
import { CofferError } from '../errors.js'
import { sha256Hex } from './digest.js'

/** Prefix of the public key text format `ed25519:<base64 of the raw 32-byte key>`. */
export const PUBLIC_KEY_PREFIX = 'ed25519:'

/** A trusted Ed25519 public key. */
export interface PublicKeyInfo {
  /** sha256 hex of the raw 32-byte public key. */
  keyId: string
  /** `ed25519:<base64>`. */
  text: string
  key: KeyObject
}

/** A freshly generated signing key pair. */
export interface GeneratedSigningKey {
  /** PKCS#8 PEM of the private key. Secret. */
  privateKeyPem: string
  publicKey: PublicKeyInfo
}

/** Generates an Ed25519 key pair for signing bundles. */
export function generateSigningKey(): GeneratedSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  return { privateKeyPem, publicKey: describePublicKey(publicKey) }
}

/** Returns the key id, text form and key object of an Ed25519 public key. */
export function describePublicKey(key: KeyObject): PublicKeyInfo {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `expected an ed25519 key, got ${key.asymmetricKeyType}`
    )
  }

  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  const raw = rawPublicKey(publicKey)
  return { keyId: sha256Hex(raw), text: PUBLIC_KEY_PREFIX + raw.toString('base64'), key: publicKey }
}

/** Parses the text form `ed25519:<base64>`; raises `INVALID_ARGUMENT` naming the problem. */
export function parsePublicKey(text: string): PublicKeyInfo {
  const trimmed = text.trim()
  if (!trimmed.startsWith(PUBLIC_KEY_PREFIX)) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `invalid public key "${trimmed.slice(0, 60)}": expected "ed25519:" followed by base64`
    )
  }

  const encoded = trimmed.slice(PUBLIC_KEY_PREFIX.length)
  const raw = Buffer.from(encoded, 'base64')
  if (raw.length !== 32 || raw.toString('base64') !== encoded) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `invalid public key "${trimmed.slice(0, 60)}": expected the base64 of exactly 32 bytes`
    )
  }

  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  })
  return { keyId: sha256Hex(raw), text: trimmed, key }
}

/**
 * Parses a keys file with one `ed25519:<base64>` per line. Blank lines and lines starting with
 * `#` are skipped. Text after the key on the same line is a comment.
 */
export function parsePublicKeys(text: string): PublicKeyInfo[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => parsePublicKey(line.split(/\s+/)[0]))
}

/** Writes a PKCS#8 PEM private key to a new file of mode 0600; never overwrites a file. */
export async function writePrivateKeyFile(path: string, privateKeyPem: string): Promise<void> {
  let handle
  try {
    handle = await open(path, 'wx', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CofferError(
        'INVALID_ARGUMENT',
        `${path} already exists; choose another path or remove it first`
      )
    }

    throw error
  }

  try {
    await handle.writeFile(privateKeyPem)
  } finally {
    await handle.close()
  }
}

/**
 * Loads an Ed25519 private key from a PKCS#8 PEM file. Raises `INVALID_ARGUMENT` when the file is
 * readable by group or others, as ssh does, so a leaked key file is noticed.
 */
export async function loadPrivateKeyFile(path: string): Promise<KeyObject> {
  const info = await stat(path)
  if ((info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0')
    throw new CofferError(
      'INVALID_ARGUMENT',
      `private key file ${path} has mode ${mode}; run "chmod 600 ${path}" so only its owner can read it`
    )
  }

  const key = createPrivateKey(await readFile(path))
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `${path} holds a ${key.asymmetricKeyType} key; expected ed25519`
    )
  }

  return key
}

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' })
  return Buffer.from(jwk.x as string, 'base64url')
}
