import { BundleVerificationError, type CofferError } from '../errors.js'
import { MANIFEST_FILE_NAME, type EngineManifest } from '../manifest/types.js'
import { validateManifest } from '../manifest/validate.js'
import { sha256Hex } from './digest.js'
import { readTar } from './tar.js'

/** A bundle's files and its validated manifest. */
export interface BundleContents {
  manifest: EngineManifest
  /** Every file of the bundle by name, `engine.json` included. */
  files: Map<string, Buffer>
}

/**
 * Checks everything `verifyBundle` checks except the signature: that the bundle is a readable tar
 * (`CORRUPT`), that engine.json exists and is JSON (`INVALID_MANIFEST`), that each file matches
 * the sha256 engine.json lists (`DIGEST_MISMATCH` naming the file), and the manifest
 * (`INVALID_MANIFEST`). Raises `BundleVerificationError` with the code `verifyBundle` would use.
 */
export function checkBundleContents(bundle: Buffer): BundleContents {
  const files = readBundleFiles(bundle)
  const parsed = parseBundleManifest(files)
  checkFileDigests(files, parsed.files)
  return { manifest: validateBundleManifest(parsed), files }
}

/** Reads a bundle's files by name; raises `CORRUPT` when it is not a readable tar. */
export function readBundleFiles(bundle: Buffer): Map<string, Buffer> {
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

/** Parses engine.json without validating it; raises `INVALID_MANIFEST` when missing or not JSON. */
export function parseBundleManifest(files: Map<string, Buffer>): Record<string, unknown> {
  const manifestBytes = files.get(MANIFEST_FILE_NAME)
  if (!manifestBytes) {
    throw new BundleVerificationError('INVALID_MANIFEST', `bundle has no ${MANIFEST_FILE_NAME}`)
  }

  let parsed: unknown
  try {
    parsed = JSON.parse(manifestBytes.toString('utf8'))
  } catch (error) {
    throw new BundleVerificationError(
      'INVALID_MANIFEST',
      `bundle's ${MANIFEST_FILE_NAME} is not valid JSON`,
      {
        cause: error,
      }
    )
  }

  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BundleVerificationError(
      'INVALID_MANIFEST',
      `bundle's ${MANIFEST_FILE_NAME} is not a JSON object`
    )
  }

  return parsed as Record<string, unknown>
}

/** Validates a parsed engine.json, raising `BundleVerificationError` with the validator's code. */
export function validateBundleManifest(parsed: Record<string, unknown>): EngineManifest {
  try {
    return validateManifest(parsed)
  } catch (error) {
    const cofferError = error as CofferError
    throw new BundleVerificationError(cofferError.code, cofferError.message, {
      details: cofferError.details,
    })
  }
}

/**
 * Checks that every file except engine.json is listed with its sha256 in `listed` (engine.json's
 * `files`), and that every listed file exists. Raises `DIGEST_MISMATCH` naming the file.
 */
export function checkFileDigests(files: Map<string, Buffer>, listed: unknown): void {
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
