import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { buildEngineBundle } from '../build/build_engine.js'
import { bundleSha256 } from '../bundle/digest.js'
import {
  generateSigningKey,
  loadPrivateKeyFile,
  parsePublicKey,
  parsePublicKeys,
  writePrivateKeyFile,
  type PublicKeyInfo,
} from '../bundle/keys.js'
import { formatSignature, parseSignature, signBundle } from '../bundle/signature.js'
import { verifyBundle, type VerifiedBundle } from '../bundle/verify.js'
import { CofferError } from '../errors.js'

/** Output function of a command's normal lines; tests replace it. */
export type Print = (line: string) => void

/** `build`: bundles the engine package in `packageDir` and prints the bundle's path and sha256. */
export async function buildCommand(
  packageDir: string,
  outDir: string | undefined,
  print: Print
): Promise<void> {
  const built = await buildEngineBundle({ packageDir, outDir })
  print(`built ${built.manifest.id} ${built.manifest.version}`)
  print(`bundle: ${built.bundlePath}`)
  print(`sha256: ${bundleSha256(built.bytes)}`)
}

/** `keygen`: writes a new private key file (mode 0600) and prints the public key and key id. */
export async function keygenCommand(privateKeyPath: string, print: Print): Promise<void> {
  const key = generateSigningKey()
  await writePrivateKeyFile(privateKeyPath, key.privateKeyPem)
  print(`private key: ${resolve(privateKeyPath)} (mode 0600; keep it out of the repository)`)
  print(`public key: ${key.publicKey.text}`)
  print(`key id: ${key.publicKey.keyId}`)
}

/** `sign`: signs a bundle with the private key file and writes the detached signature. */
export async function signCommand(
  bundlePath: string,
  keyPath: string | undefined,
  signaturePath: string | undefined,
  print: Print
): Promise<void> {
  const path = keyPath ?? process.env.COFFER_SIGNING_KEY_FILE
  if (!path) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      'no signing key: pass --key <private key file> or set COFFER_SIGNING_KEY_FILE'
    )
  }

  const privateKey = await loadPrivateKeyFile(path)
  const signature = signBundle(await readFile(bundlePath), privateKey)
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
  const signature = parseSignature(
    await readFile(options.signaturePath ?? `${bundlePath}.sig`, 'utf8')
  )
  const verified = verifyBundle(await readFile(bundlePath), signature, keys)
  print(
    `verified ${verified.manifest.id} ${verified.manifest.version}, signed by key ${verified.keyId}`
  )
  return verified
}

async function loadTrustedKeys(options: TrustOptions): Promise<PublicKeyInfo[]> {
  const keys = options.trust.map((text) => parsePublicKey(text))
  for (const file of options.trustedKeyFiles) {
    keys.push(...parsePublicKeys(await readFile(file, 'utf8')))
  }

  if (keys.length === 0) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      'no trusted keys: pass --trust ed25519:<base64> or --trusted-keys <file>'
    )
  }

  return keys
}
