import { DestinationError } from './destination_error.js'

/** Prefix of the temporary name of an upload in progress; keys may not use it. */
export const PARTIAL_PREFIX = '.coffer-partial-'

/**
 * Checks a storage key: relative, `/`-separated, with no empty, `.` or `..` segment and no
 * segment starting with the temporary-upload prefix. A prefix (`allowPrefix`) may be empty or end
 * with `/`.
 */
export function assertStorageKey(key: string, allowPrefix = false): void {
  if (allowPrefix && key === '') {
    return
  }

  const trimmed = allowPrefix && key.endsWith('/') ? key.slice(0, -1) : key
  const invalid = trimmed
    .split('/')
    .find(
      (segment) =>
        segment === '' || segment === '.' || segment === '..' || segment.startsWith(PARTIAL_PREFIX)
    )

  if (key.includes('\0') || invalid !== undefined) {
    throw new DestinationError(
      'INVALID_ARGUMENT',
      `invalid storage key ${JSON.stringify(key)}: use a relative path with "/" separators, no empty, "." or ".." segments and no segment starting with ${PARTIAL_PREFIX}`,
      { details: { path: key } }
    )
  }
}

/** Joins a root folder and a key with exactly one `/` between them. */
export function joinRemotePath(root: string, key: string): string {
  const base = root.endsWith('/') ? root.slice(0, -1) : root
  return key === '' ? base || '/' : `${base}/${key}`
}

/** Returns the parent folder of a `/`-separated path (`/` for top-level entries). */
export function parentPath(path: string): string {
  const index = path.lastIndexOf('/')
  return index <= 0 ? '/' : path.slice(0, index)
}
