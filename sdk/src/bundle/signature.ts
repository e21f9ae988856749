import { sign, type KeyObject } from 'node:crypto'
import { BundleVerificationError, CofferError } from '../errors.js'
import { checkBundleContents } from './contents.js'
import { bundleSha256 } from './digest.js'
import { describePublicKey } from './keys.js'

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

/**
 * Signs a bundle with an Ed25519 private key; id and version come from its `engine.json`. Raises
 * the `BundleVerificationError` that `verifyBundle` would raise (`CORRUPT`, `INVALID_MANIFEST`,
 * `DIGEST_MISMATCH`) when the bundle fails any check other than the signature, so no signature
 * is ever made for a bundle that no agent installs.
 */
export function signBundle(bundle: Buffer, privateKey: KeyObject): BundleSignature {
  let manifest
  try {
    manifest = checkBundleContents(bundle).manifest
  } catch (error) {
    throw unsignableBundle(error as CofferError)
  }

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

function unsignableBundle(error: CofferError): BundleVerificationError {
  // validateManifest's messages already end with "fix these fields and rebuild the bundle".
  const hasNextStep = error.code === 'INVALID_MANIFEST' && error.details?.problems !== undefined
  const nextStep = hasNextStep
    ? ''
    : '; rebuild the bundle with "coffer-engine build" and sign the new one'
  return new BundleVerificationError(
    error.code,
    `cannot sign the bundle, because verify would reject it: ${error.message}${nextStep}`,
    { details: error.details, cause: error }
  )
}

/** Parses a signature file's text; raises `BAD_SIGNATURE` naming the missing or invalid field. */
export function parseSignature(text: string): BundleSignature {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    // V8's message quotes the text near the error, which could be key material when a key file
    // is passed as the signature, so only the position is kept.
    const position = /at position \d+/.exec((error as Error).message)?.[0]
    throw new CofferError(
      'BAD_SIGNATURE',
      `signature file is not valid JSON${position ? ` (${position})` : ''}; expected the JSON .sig file that "coffer-engine sign" writes`
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
