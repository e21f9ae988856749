import { verify } from 'node:crypto'
import { BundleVerificationError } from '../errors.js'
import { MANIFEST_FILE_NAME, type EngineManifest } from '../manifest/types.js'
import { compareSemanticVersions } from '../semver.js'
import {
  checkFileDigests,
  parseBundleManifest,
  readBundleFiles,
  validateBundleManifest,
} from './contents.js'
import { bundleSha256 } from './digest.js'
import { parsePublicKey, type PublicKeyInfo } from './keys.js'
import { signatureMessage, type BundleSignature } from './signature.js'

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
      `bundle sha256 ${sha256} does not match the signed sha256 ${signature.sha256}: the bundle was rebuilt after signing, or altered or truncated; sign it again if you built it, or download the bundle and its signature again`,
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

function checkManifest(files: Map<string, Buffer>, signature: BundleSignature): EngineManifest {
  const parsed = parseBundleManifest(files)
  if (parsed.id !== signature.id || parsed.version !== signature.version) {
    throw new BundleVerificationError(
      'MANIFEST_MISMATCH',
      `bundle's ${MANIFEST_FILE_NAME} declares ${String(parsed.id)} ${String(parsed.version)}, but the signature covers ${signature.id} ${signature.version}; do not install this bundle`,
      {
        details: {
          signed: { id: signature.id, version: signature.version },
          manifest: { id: parsed.id, version: parsed.version },
        },
      }
    )
  }

  checkFileDigests(files, parsed.files)
  return validateBundleManifest(parsed)
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
