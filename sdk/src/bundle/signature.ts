import { sign, type KeyObject } from 'node:crypto'
import { CofferError } from '../errors.js'
import { MANIFEST_FILE_NAME } from '../manifest/types.js'
import { bundleSha256 } from './digest.js'
import { describePublicKey } from './keys.js'
import { readTar } from './tar.js'

/** Domain separation prefix, so a bundle signature never verifies as any other kind of message. */
export const SIGNATURE_PREFIX = 'coffer-engine-bundle-v1\n'

/** The detached signature file, `<bundle>.sig`. */
export interface BundleSignature {
  /** sha256 hex of the signer's raw public key. */
  keyId: string
  id: string
  version: string
  /** sha256 hex of the bundle bytes. */
  sha256: string
  /** Base64 Ed25519 signature of `signatureMessage(id, version, sha256)`. */
  signature: string
}

/** Builds the signed message: the prefix, then id, `\n`, version, `\n`, the bundle's sha256 hex. */
export function signatureMessage(id: string, version: string, sha256: string): Buffer {
  return Buffer.from(`${SIGNATURE_PREFIX}${id}\n${version}\n${sha256}`, 'utf8')
}

/** Signs a bundle with an Ed25519 private key; id and version come from its `engine.json`. */
export function signBundle(bundle: Buffer, privateKey: KeyObject): BundleSignature {
  const manifestFile = readTar(bundle).find((file) => file.name === MANIFEST_FILE_NAME)
  if (!manifestFile) {
    throw new CofferError(
      'INVALID_MANIFEST',
      `the bundle has no ${MANIFEST_FILE_NAME}; rebuild it with "coffer-engine build"`
    )
  }

  const manifest = JSON.parse(manifestFile.data.toString('utf8')) as { id: string; version: string }
  const sha256 = bundleSha256(bundle)
  const signature = sign(null, signatureMessage(manifest.id, manifest.version, sha256), privateKey)

  return {
    keyId: describePublicKey(privateKey).keyId,
    id: manifest.id,
    version: manifest.version,
    sha256,
    signature: signature.toString('base64'),
  }
}

/** Parses a signature file's text; raises `BAD_SIGNATURE` naming the missing or invalid field. */
export function parseSignature(text: string): BundleSignature {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new CofferError(
      'BAD_SIGNATURE',
      `signature file is not valid JSON: ${(error as Error).message}`
    )
  }

  if (typeof value !== 'object' || value === null) {
    throw new CofferError('BAD_SIGNATURE', 'signature file must contain a JSON object')
  }

  const record = value as Record<string, unknown>
  const patterns: Record<keyof BundleSignature, RegExp> = {
    keyId: /^[0-9a-f]{64}$/,
    id: /^.+$/,
    version: /^.+$/,
    sha256: /^[0-9a-f]{64}$/,
    signature: /^[A-Za-z0-9+/]+={0,2}$/,
  }

  for (const [field, pattern] of Object.entries(patterns)) {
    const fieldValue = record[field]
    if (typeof fieldValue !== 'string' || !pattern.test(fieldValue)) {
      throw new CofferError(
        'BAD_SIGNATURE',
        `signature file field "${field}" is missing or invalid`,
        {
          details: { field },
        }
      )
    }
  }

  return {
    keyId: record.keyId as string,
    id: record.id as string,
    version: record.version as string,
    sha256: record.sha256 as string,
    signature: record.signature as string,
  }
}

/** Formats a signature as the text of a `.sig` file. */
export function formatSignature(signature: BundleSignature): string {
  return JSON.stringify(signature, null, 2) + '\n'
}
