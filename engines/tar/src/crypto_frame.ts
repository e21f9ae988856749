import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import { CofferError } from '@coffer/sdk'

// Layout of the 96-byte header that starts every encrypted artifact:
//   0  magic "CTARENC1"        8  version (1), 3 reserved zero bytes
//   12 record size (u32 BE)    16 salt (32 random bytes)
//   48 key id (16)             64 key id again (16)
//   80 header MAC (16): HMAC-SHA256 over bytes 0..80 with a key derived from the salt
// The records that follow are described in crypto_records.ts.

/** Size of the header of an encrypted artifact. */
export const ENCRYPTION_HEADER_SIZE = 96

/** Default maximum plaintext bytes per record. */
export const DEFAULT_RECORD_SIZE = 1024 * 1024

const MAGIC = Buffer.from('CTARENC1')
const KEY_ID_LABEL = 'coffer/tar key id v1'

/** The per-artifact key material that the header unlocks. */
export interface ArtifactCipher {
  header: Buffer
  fileKey: Buffer
  recordSize: number
}

/** Decodes and checks an `encryptionKey` option: 32 bytes, base64. */
export function decodeEncryptionKey(value: unknown): Buffer {
  const key = typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.alloc(0)
  if (key.length !== 32) {
    throw new CofferError(
      'INVALID_OPTIONS',
      `invalid encryptionKey: expected 32 bytes in base64, got ${key.length} bytes; let the host generate it`
    )
  }

  return key
}

/** Creates the header and the derived data key for a new encrypted artifact. */
export function createArtifactCipher(
  key: Buffer,
  recordSize = DEFAULT_RECORD_SIZE
): ArtifactCipher {
  const header = Buffer.alloc(ENCRYPTION_HEADER_SIZE)
  MAGIC.copy(header, 0)
  header[8] = 1
  header.writeUInt32BE(recordSize, 12)
  const salt = randomBytes(32)
  salt.copy(header, 16)
  const keyId = computeKeyId(key)
  keyId.copy(header, 48)
  keyId.copy(header, 64)
  headerMac(key, salt, header.subarray(0, 80)).copy(header, 80)

  return { header, fileKey: deriveFileKey(key, salt), recordSize }
}

/**
 * Checks an artifact header against `key`. Raises `WRONG_KEY` when both key id copies agree but
 * differ from the key's id, and `CORRUPT` for any other mismatch.
 */
export function openArtifactCipher(header: Buffer, key: Buffer): ArtifactCipher {
  if (header.length < ENCRYPTION_HEADER_SIZE || !header.subarray(0, 8).equals(MAGIC)) {
    throw new CofferError(
      'CORRUPT',
      'encrypted artifact does not start with the CTARENC1 header; the artifact is damaged or not encrypted'
    )
  }

  const storedId = header.subarray(48, 64)
  const storedCopy = header.subarray(64, 80)
  if (!storedId.equals(storedCopy)) {
    throw new CofferError(
      'CORRUPT',
      'encrypted artifact header has two different key ids; the header is damaged'
    )
  }

  if (!timingSafeEqual(storedId, computeKeyId(key))) {
    throw new CofferError(
      'WRONG_KEY',
      "encrypted artifact was written with another key; check the destination's encryption key"
    )
  }

  const salt = header.subarray(16, 48)
  const mac = headerMac(key, salt, header.subarray(0, 80))
  if (!timingSafeEqual(mac, header.subarray(80, 96))) {
    throw new CofferError(
      'CORRUPT',
      'encrypted artifact header fails its MAC check; the header is damaged'
    )
  }

  // The version is checked after the MAC, so a damaged version byte reads as CORRUPT; a later
  // format that keeps this header layout reads as UNSUPPORTED.
  if (header[8] !== 1) {
    throw new CofferError(
      'UNSUPPORTED',
      `encrypted artifact has format version ${header[8]}; this engine reads version 1, upgrade the engine`
    )
  }

  const recordSize = header.readUInt32BE(12)
  if (recordSize === 0 || recordSize > 64 * 1024 * 1024) {
    throw new CofferError(
      'CORRUPT',
      `encrypted artifact header has record size ${recordSize}; the header is damaged`
    )
  }

  return {
    header: Buffer.from(header.subarray(0, ENCRYPTION_HEADER_SIZE)),
    fileKey: deriveFileKey(key, salt),
    recordSize,
  }
}

function computeKeyId(key: Buffer): Buffer {
  return createHmac('sha256', key).update(KEY_ID_LABEL).digest().subarray(0, 16)
}

function deriveFileKey(key: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', key, salt, 'coffer/tar data key v1', 32))
}

function headerMac(key: Buffer, salt: Buffer, bytes: Buffer): Buffer {
  const macKey = Buffer.from(hkdfSync('sha256', key, salt, 'coffer/tar header mac v1', 32))
  return createHmac('sha256', macKey).update(bytes).digest().subarray(0, 16)
}
