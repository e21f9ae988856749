import { readFile, rm } from 'node:fs/promises'
import { parseSignature } from '../bundle/signature.js'

/** The `<bundle>.sig` found next to a newly written bundle. */
export type SignatureNextToBundle =
  | { state: 'none' }
  /** It signs the new bundle's sha256, because the build produced the same bytes. */
  | { state: 'current'; path: string }
  /** It signed other bytes, or was not a signature file, and was deleted. */
  | { state: 'removed'; path: string; signedSha256?: string }

/**
 * Deletes `<bundlePath>.sig` unless it signs `sha256`, so a rebuilt bundle is never published
 * next to the signature of an older build.
 */
export async function removeStaleSignature(
  bundlePath: string,
  sha256: string
): Promise<SignatureNextToBundle> {
  const path = `${bundlePath}.sig`
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { state: 'none' }
    }

    throw error
  }

  let signedSha256: string | undefined
  try {
    signedSha256 = parseSignature(text).sha256
  } catch {
    signedSha256 = undefined
  }

  if (signedSha256 === sha256) {
    return { state: 'current', path }
  }

  await rm(path, { force: true })
  return { state: 'removed', path, signedSha256 }
}
