import { verify } from 'node:crypto'
import { BundleVerificationError, type CofferError } from '../errors.js'
import { MANIFEST_FILE_NAME, type EngineManifest } from '../manifest/types.js'
import { validateManifest } from '../manifest/validate.js'
import { compareSemanticVersions } from '../semver.js'
import { bundleSha256, sha256Hex } from './digest.js'
import { parsePublicKey, type PublicKeyInfo } from './keys.js'
import { signatureMessage, type BundleSignature } from './signature.js'
import { readTar } from './tar.js'

/** Extra checks `verifyBundle` applies after the signature and manifest. */
export interface VerifyBundleOptions {
  /** Rejects with `MANIFEST_MISMATCH` unless the bundle's engine id equals this one. */
  expectedId?: string
  /** Rejects with `VERSION_DOWNGRADE` when the bundle's version is lower than this one. */
  minimumVersion?: string
  /** Rejects with `AGENT_TOO_OLD` when this agent version is lower than `minAgentVersion`. */
  agentVersion?: string
}

/** A bundle that passed every check. */
export interface VerifiedBundle {
  manifest: EngineManifest
  /** sha256 hex of the bundle. */
  sha256: string
  /** The trusted key that signed it. */
  keyId: string
  /** Every file of the bundle by name, `engine.json` included. */
  files: Map<string, Buffer>
}

/**
 * Verifies a bundle against its detached signature and a set of trusted public keys. Checks, in
 * this order: the bundle's sha256 (`DIGEST_MISMATCH`), that the signer is trusted (`UNKNOWN_KEY`),
 * the Ed25519 signature (`BAD_SIGNATURE`), that engine.json's id and version equal the signed ones
 * (`MANIFEST_MISMATCH`), each file's sha256 (`DIGEST_MISMATCH` naming the file), and the manifest.
 */
export function verifyBundle(
  bundle: Buffer,
  signature: BundleSignature,
  trustedKeys: Array<string | PublicKeyInfo>,
  options: VerifyBundleOptions = {}
): VerifiedBundle {
  const sha256 = bundleSha256(bundle)
  if (sha256 !== signature.sha256) {
    throw new BundleVerificationError(
      'DIGEST_MISMATCH',
      `bundle sha256 ${sha256} does not match the signed sha256 ${signature.sha256}: the bundle was altered or truncated; download it again`,
      { details: { expected: signature.sha256, actual: sha256 } }
    )
  }

  const key = findTrustedKey(trustedKeys, signature.keyId)
  const message = signatureMessage(signature.id, signature.version, signature.sha256)
  if (!verify(null, message, key.key, Buffer.from(signature.signature, 'base64'))) {
    throw new BundleVerificationError(
      'BAD_SIGNATURE',
      `signature of ${signature.id} ${signature.version} does not verify with key ${signature.keyId}: the signature file was altered or made for another bundle`,
      { details: { keyId: signature.keyId, id: signature.id, version: signature.version } }
    )
  }

  const files = readBundleFiles(bundle)
  const manifest = checkManifest(files, signature)
  applyOptions(manifest, options)

  return { manifest, sha256, keyId: key.keyId, files }
}

function findTrustedKey(trustedKeys: Array<string | PublicKeyInfo>, keyId: string): PublicKeyInfo {
  for (const entry of trustedKeys) {
    const key = typeof entry === 'string' ? parsePublicKey(entry) : entry
    if (key.keyId === keyId) {
      return key
    }
  }

  throw new BundleVerificationError(
    'UNKNOWN_KEY',
    `bundle is signed by key ${keyId}, which is not trusted on this host; add the publisher's public key to the trusted keys if you trust it`,
    { details: { keyId } }
  )
}

function readBundleFiles(bundle: Buffer): Map<string, Buffer> {
  try {
    return new Map(readTar(bundle).map((file) => [file.name, file.data]))
  } catch (error) {
    throw new BundleVerificationError(
      'CORRUPT',
      `bundle is not a readable engine bundle: ${(error as Error).message}`,
      {
        cause: error,
      }
    )
  }
}

function checkManifest(files: Map<string, Buffer>, signature: BundleSignature): EngineManifest {
  const manifestBytes = files.get(MANIFEST_FILE_NAME)
  if (!manifestBytes) {
    throw new BundleVerificationError('INVALID_MANIFEST', `bundle has no ${MANIFEST_FILE_NAME}`)
  }

  let parsed: Record<string, unknown>
  try {
    parsed = JSON.parse(manifestBytes.toString('utf8')) as Record<string, unknown>
  } catch (error) {
    throw new BundleVerificationError(
      'INVALID_MANIFEST',
      `bundle's ${MANIFEST_FILE_NAME} is not valid JSON`,
      {
        cause: error,
      }
    )
  }

  if (parsed?.id !== signature.id || parsed?.version !== signature.version) {
    throw new BundleVerificationError(
      'MANIFEST_MISMATCH',
      `bundle's ${MANIFEST_FILE_NAME} declares ${String(parsed?.id)} ${String(parsed?.version)}, but the signature covers ${signature.id} ${signature.version}; do not install this bundle`,
      {
        details: {
          signed: { id: signature.id, version: signature.version },
          manifest: { id: parsed?.id, version: parsed?.version },
        },
      }
    )
  }

  checkFileDigests(files, parsed.files)

  try {
    return validateManifest(parsed)
  } catch (error) {
    const cofferError = error as CofferError
    throw new BundleVerificationError(cofferError.code, cofferError.message, {
      details: cofferError.details,
    })
  }
}

// Every file except engine.json must be listed with its sha256, and every listed file must exist.
function checkFileDigests(files: Map<string, Buffer>, listed: unknown): void {
  const expected =
    typeof listed === 'object' && listed !== null ? (listed as Record<string, unknown>) : {}

  for (const [name, data] of files) {
    if (name === MANIFEST_FILE_NAME) {
      continue
    }

    if (!(name in expected)) {
      throw new BundleVerificationError(
        'DIGEST_MISMATCH',
        `bundle file "${name}" is not listed in ${MANIFEST_FILE_NAME}`,
        {
          details: { file: name },
        }
      )
    }

    const actual = sha256Hex(data)
    if (actual !== expected[name]) {
      throw new BundleVerificationError(
        'DIGEST_MISMATCH',
        `bundle file "${name}" has sha256 ${actual}, but ${MANIFEST_FILE_NAME} lists ${String(expected[name])}`,
        { details: { file: name, expected: expected[name], actual } }
      )
    }
  }

  for (const name of Object.keys(expected)) {
    if (!files.has(name)) {
      throw new BundleVerificationError(
        'DIGEST_MISMATCH',
        `bundle file "${name}" is listed in ${MANIFEST_FILE_NAME} but missing`,
        {
          details: { file: name },
        }
      )
    }
  }
}

function applyOptions(manifest: EngineManifest, options: VerifyBundleOptions): void {
  if (options.expectedId !== undefined && manifest.id !== options.expectedId) {
    throw new BundleVerificationError(
      'MANIFEST_MISMATCH',
      `bundle contains engine ${manifest.id}, but ${options.expectedId} was requested`,
      { details: { expected: options.expectedId, actual: manifest.id } }
    )
  }

  if (
    options.minimumVersion !== undefined &&
    compareSemanticVersions(manifest.version, options.minimumVersion) < 0
  ) {
    throw new BundleVerificationError(
      'VERSION_DOWNGRADE',
      `bundle has ${manifest.id} ${manifest.version}, lower than the accepted ${options.minimumVersion}; install ${options.minimumVersion} or later`,
      { details: { version: manifest.version, minimumVersion: options.minimumVersion } }
    )
  }

  if (
    options.agentVersion !== undefined &&
    compareSemanticVersions(options.agentVersion, manifest.minAgentVersion) < 0
  ) {
    throw new BundleVerificationError(
      'AGENT_TOO_OLD',
      `engine ${manifest.id} ${manifest.version} requires agent ${manifest.minAgentVersion} or later, but this agent is ${options.agentVersion}; upgrade the agent`,
      { details: { agentVersion: options.agentVersion, minAgentVersion: manifest.minAgentVersion } }
    )
  }
}
