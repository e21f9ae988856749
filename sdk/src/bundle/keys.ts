import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdir, open, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { CofferError } from '../errors.js'
import { sha256Hex } from './digest.js'
import { inputFileError, readInputFile, type InputFileRole } from './input_file.js'
import { looksLikeKeyMaterial } from './key_material.js'

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

const PRIVATE_KEY_FILE: InputFileRole = {
  description: 'private key file',
  whenMissing:
    'check the path, or create a key with "coffer-engine keygen --out <file>" and sign with that file',
}

/**
 * Parses the text form `ed25519:<base64>`; raises `INVALID_ARGUMENT` naming the problem. The
 * message quotes the value only when it is one line without a PEM header, so a private key
 * passed by mistake never reaches the output.
 */
export function parsePublicKey(text: string): PublicKeyInfo {
  const trimmed = text.trim()
  if (looksLikeKeyMaterial(trimmed)) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      'invalid public key: the value is PEM text or has several lines (not shown, as it may be a private key); pass the one-line "ed25519:<base64>" form that "coffer-engine keygen" prints'
    )
  }

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
  const keys: PublicKeyInfo[] = []
  for (const [index, line] of text.split('\n').entries()) {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#')) {
      continue
    }

    try {
      keys.push(parsePublicKey(trimmed.split(/\s+/)[0]))
    } catch (error) {
      throw new CofferError('INVALID_ARGUMENT', `line ${index + 1}: ${(error as Error).message}`, {
        details: { line: index + 1 },
      })
    }
  }

  return keys
}

/**
 * Writes a PKCS#8 PEM private key to a new file of mode 0600, creating missing parent folders
 * with mode 0700. Never overwrites a file.
 */
export async function writePrivateKeyFile(path: string, privateKeyPem: string): Promise<void> {
  let handle
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    handle = await open(path, 'wx', 0o600)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') {
      throw new CofferError(
        'INVALID_ARGUMENT',
        `${path} already exists; choose another path or remove it first`,
        { details: { path } }
      )
    }

    throw new CofferError(
      'INVALID_ARGUMENT',
      `cannot create the private key file ${path}: ${code ?? (error as Error).message}; choose a path in a folder you can write to`,
      { details: { path, code } }
    )
  }

  try {
    await handle.writeFile(privateKeyPem)
  } finally {
    await handle.close()
  }
}

/**
 * Loads an Ed25519 private key from a PKCS#8 PEM file. Raises `INVALID_ARGUMENT` when the file is
 * readable by group or others, as ssh does, so a leaked key file is noticed, and `NOT_FOUND` when
 * it does not exist. No message contains the file's content, and none contains `path` when
 * `path` looks like key text instead of a path.
 */
export async function loadPrivateKeyFile(path: string): Promise<KeyObject> {
  if (looksLikeKeyMaterial(path)) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      'the private key path contains key text, not a file path (not shown); pass the path of the private key file instead of its content'
    )
  }

  let info
  try {
    info = await stat(path)
  } catch (error) {
    if (path.startsWith(PUBLIC_KEY_PREFIX)) {
      throw publicKeyGiven(`"${path}"`)
    }

    throw inputFileError(error, path, PRIVATE_KEY_FILE)
  }

  if ((info.mode & 0o077) !== 0 && info.isFile()) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0')
    throw new CofferError(
      'INVALID_ARGUMENT',
      `private key file ${path} has mode ${mode}; run "chmod 600 ${path}" so only its owner can read it`
    )
  }

  const text = await readInputFile(path, PRIVATE_KEY_FILE)
  let key: KeyObject
  try {
    key = createPrivateKey(text)
  } catch {
    if (isPublicKeyText(text.toString('utf8'))) {
      throw publicKeyGiven(path)
    }

    throw new CofferError(
      'INVALID_ARGUMENT',
      `${path} does not contain an unencrypted PKCS#8 PEM private key; pass the private key file that "coffer-engine keygen" wrote`,
      { details: { path } }
    )
  }

  if (key.asymmetricKeyType !== 'ed25519') {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `${path} holds a ${key.asymmetricKeyType} key; expected ed25519`
    )
  }

  return key
}

// Public keys in the forms a user may hold: the SDK's one-line form, PEM, or OpenSSH.
function isPublicKeyText(text: string): boolean {
  const trimmed = text.trim()
  return (
    trimmed.startsWith(PUBLIC_KEY_PREFIX) ||
    trimmed.startsWith('-----BEGIN PUBLIC KEY-----') ||
    trimmed.startsWith('ssh-ed25519 ')
  )
}

function publicKeyGiven(source: string): CofferError {
  return new CofferError(
    'INVALID_ARGUMENT',
    `${source} is a public key; sign with the private key file (the PEM file that "coffer-engine keygen --out <file>" wrote, mode 0600)`
  )
}

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' })
  return Buffer.from(jwk.x as string, 'base64url')
}
