import { CofferError } from '@coffer/sdk'

/** Tag that carries Coffer's snapshot id. */
export const SNAPSHOT_TAG = 'coffer-snapshot'

/** Tag on a snapshot whose backup could not read some source files (restic exit code 3). */
export const INCOMPLETE_TAG = 'coffer-incomplete'

/** Tag keys the engine sets itself; request tags may not use the `coffer-` prefix. */
const RESERVED_PREFIX = 'coffer-'

/**
 * Encodes one key-value pair as a restic tag, `key=value` with both sides percent-encoded:
 * restic splits `--tag` values at commas, and `=` separates the key.
 */
export function encodeTag(key: string, value: string): string {
  return `${encodeURIComponent(key)}=${encodeURIComponent(value)}`
}

/** Returns the restic tags for a backup: Coffer's id first, then the request's tags. */
export function backupTags(snapshotId: string, tags: Record<string, string>): string[] {
  const encoded = [encodeTag(SNAPSHOT_TAG, snapshotId)]
  for (const [key, value] of Object.entries(tags)) {
    if (key.startsWith(RESERVED_PREFIX)) {
      throw new CofferError(
        'INVALID_ARGUMENT',
        `tag "${key}" uses the prefix "${RESERVED_PREFIX}", which the restic engine reserves. Rename the tag`,
        { details: { tag: key } }
      )
    }

    encoded.push(encodeTag(key, value))
  }

  return encoded
}

/** Decodes restic tags back into key-value pairs; a tag without `=` gets an empty value. */
export function decodeTags(tags: string[]): Record<string, string> {
  const decoded: Record<string, string> = {}
  for (const tag of tags) {
    const separator = tag.indexOf('=')
    const key = separator === -1 ? tag : tag.slice(0, separator)
    const value = separator === -1 ? '' : tag.slice(separator + 1)
    decoded[safeDecode(key)] = safeDecode(value)
  }

  return decoded
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
