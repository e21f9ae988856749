import { stat, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { buildEngineBundle } from '../build/build_engine.js'
import { removeStaleSignature } from '../build/stale_signature.js'
import { bundleSha256 } from '../bundle/digest.js'
import { readInputFile, type InputFileRole } from '../bundle/input_file.js'
import { looksLikeKeyMaterial } from '../bundle/key_material.js'
import {
  generateSigningKey,
  loadPrivateKeyFile,
  parsePublicKey,
  parsePublicKeys,
  writePrivateKeyFile,
  type PublicKeyInfo,
} from '../bundle/keys.js'
import {
  formatSignature,
  parseSignature,
  signBundle,
  type BundleSignature,
} from '../bundle/signature.js'
import { verifyBundle, type VerifiedBundle } from '../bundle/verify.js'
import { BundleVerificationError, CofferError, isCofferError } from '../errors.js'

/** Output function of a command's normal lines; tests replace it. */
export type Print = (line: string) => void

/** `build`: bundles the engine package in `packageDir` and prints the bundle's path and sha256. */
export async function buildCommand(
  packageDir: string,
  outDir: string | undefined,
  print: Print
): Promise<void> {
  const built = await buildEngineBundle({ packageDir, outDir })
  const sha256 = bundleSha256(built.bytes)
  print(`built ${built.manifest.id} ${built.manifest.version}`)
  print(`bundle: ${built.bundlePath}`)
  print(`sha256: ${sha256}`)

  const signature = await removeStaleSignature(built.bundlePath, sha256)
  if (signature.state === 'current') {
    print(`signature: ${signature.path} (still valid: the bundle's bytes did not change)`)
  } else if (signature.state === 'removed') {
    const signed = signature.signedSha256
      ? `sha256 ${signature.signedSha256}`
      : 'no readable sha256'
    print(
      `removed the stale signature ${signature.path}: it signed ${signed}, not the new bundle; sign the new bundle with "coffer-engine sign ${built.bundlePath}"`
    )
  }
}

/** `keygen`: writes a new private key file (mode 0600) and prints the public key and key id. */
export async function keygenCommand(privateKeyPath: string, print: Print): Promise<void> {
  const key = generateSigningKey()
  await writePrivateKeyFile(privateKeyPath, key.privateKeyPem)
  print(`private key: ${resolve(privateKeyPath)} (mode 0600; keep it out of the repository)`)
  print(`public key: ${key.publicKey.text}`)
  print(`key id: ${key.publicKey.keyId}`)
}

/**
 * `sign`: signs a bundle with the private key file and writes the detached signature. Rejects a
 * `--key` value that contains key text without quoting it, and a bundle that `verify` would
 * reject for any reason other than its signature.
 */
export async function signCommand(
  bundlePath: string,
  keyPath: string | undefined,
  signaturePath: string | undefined,
  print: Print
): Promise<void> {
  const source = keyPath === undefined ? 'COFFER_SIGNING_KEY_FILE' : '--key'
  const path = keyPath ?? process.env.COFFER_SIGNING_KEY_FILE
  if (!path) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      'no signing key: pass --key <private key file> or set COFFER_SIGNING_KEY_FILE'
    )
  }

  if (looksLikeKeyMaterial(path)) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `${source} contains key text instead of a file path (not shown); pass the path of the private key file, such as --key ~/.config/coffer/engines.pem`
    )
  }

  const bundle = await readInputFile(bundlePath, BUNDLE_TO_SIGN)
  const privateKey = await loadPrivateKeyFile(path)
  const signature = signBundle(bundle, privateKey)
  const output = signaturePath ?? `${bundlePath}.sig`
  await writeFile(output, formatSignature(signature))
  print(`signed ${signature.id} ${signature.version} with key ${signature.keyId}`)
  print(`signature: ${output}`)
}

/** Options of `verify` and of the signature check of `test`. */
export interface TrustOptions {
  signaturePath?: string
  /** Public keys as `ed25519:<base64>`. */
  trust: string[]
  /** Files with one public key per line. */
  trustedKeyFiles: string[]
}

/** `verify`: checks a bundle against its signature and the trusted keys, and prints the result. */
export async function verifyCommand(
  bundlePath: string,
  options: TrustOptions,
  print: Print
): Promise<VerifiedBundle> {
  const keys = await loadTrustedKeys(options)
  const bundle = await readInputFile(bundlePath, BUNDLE_TO_VERIFY)
  const signaturePath = options.signaturePath ?? `${bundlePath}.sig`
  const signature = await readSignatureFile(signaturePath)

  let verified: VerifiedBundle
  try {
    verified = verifyBundle(bundle, signature, keys)
  } catch (error) {
    throw await explainBundleDigestMismatch(error, bundlePath, signaturePath)
  }

  print(
    `verified ${verified.manifest.id} ${verified.manifest.version}, signed by key ${verified.keyId}`
  )
  return verified
}

const BUNDLE_TO_SIGN: InputFileRole = {
  description: 'bundle',
  whenMissing: 'build it with "coffer-engine build", or check the path',
}

const BUNDLE_TO_VERIFY: InputFileRole = {
  description: 'bundle',
  whenMissing: 'check the path, or download the bundle again',
}

const SIGNATURE_FILE: InputFileRole = {
  description: 'signature file',
  whenMissing:
    'sign the bundle with "coffer-engine sign <bundle>" (author), download the .sig next to the bundle (host), or pass --signature <file>',
}

const TRUSTED_KEYS_FILE: InputFileRole = {
  description: 'trusted keys file',
  whenMissing: 'pass a file with one "ed25519:<base64>" public key per line, or use --trust',
}

async function readSignatureFile(path: string): Promise<BundleSignature> {
  const text = (await readInputFile(path, SIGNATURE_FILE)).toString('utf8')
  try {
    return parseSignature(text)
  } catch (error) {
    const cofferError = error as CofferError
    throw new CofferError(cofferError.code, `${path}: ${cofferError.message}`, {
      details: cofferError.details,
    })
  }
}

// verifyBundle cannot tell an author's rebuild from a damaged download. The file times hint at
// which one happened, so the message states that hint and names both fixes.
async function explainBundleDigestMismatch(
  error: unknown,
  bundlePath: string,
  signaturePath: string
): Promise<unknown> {
  const mismatch = error as CofferError
  if (!isCofferError(error, 'DIGEST_MISMATCH') || mismatch.details?.file !== undefined) {
    return error
  }

  const { expected, actual } = mismatch.details as { expected: string; actual: string }
  const [bundleInfo, signatureInfo] = await Promise.all([stat(bundlePath), stat(signaturePath)])
  const cause =
    bundleInfo.mtimeMs > signatureInfo.mtimeMs
      ? `${bundlePath} was modified after ${signaturePath} was written, so the bundle was rebuilt or altered after it was signed`
      : `the bundle was rebuilt or altered after it was signed, or ${signaturePath} belongs to another bundle`
  return new BundleVerificationError(
    'DIGEST_MISMATCH',
    `${bundlePath} has sha256 ${actual}, but ${signaturePath} signs sha256 ${expected}: ${cause}; if you built the bundle, sign it again with "coffer-engine sign ${bundlePath}"; if you downloaded it, download the bundle and its .sig again`,
    { details: mismatch.details, cause: error }
  )
}

async function loadTrustedKeys(options: TrustOptions): Promise<PublicKeyInfo[]> {
  const keys: PublicKeyInfo[] = []
  for (const text of options.trust) {
    keys.push(withPrefix('--trust:', () => parsePublicKey(text)))
  }

  for (const file of options.trustedKeyFiles) {
    const text = (await readInputFile(file, TRUSTED_KEYS_FILE)).toString('utf8')
    keys.push(...withPrefix(file, () => parsePublicKeys(text)))
  }

  if (keys.length === 0) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      'no trusted keys: pass --trust ed25519:<base64> or --trusted-keys <file>'
    )
  }

  return keys
}

// Prefixes a parse error's message with the option or file the text came from.
function withPrefix<T>(prefix: string, parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    const cofferError = error as CofferError
    throw new CofferError(cofferError.code, `${prefix} ${cofferError.message}`, {
      details: cofferError.details,
    })
  }
}
