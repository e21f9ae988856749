/** Strips the `./` prefix and trailing slashes GNU tar writes; the volume root becomes empty. */
export function normalizeArchivePath(path: Buffer): Buffer {
  let start = 0
  let end = path.length

  while (end > 0 && path[end - 1] === 0x2f) {
    end--
  }

  while (start + 1 < end && path[start] === 0x2e && path[start + 1] === 0x2f) {
    start += 2
    while (start < end && path[start] === 0x2f) {
      start++
    }
  }

  if (end - start === 1 && path[start] === 0x2e) {
    return Buffer.alloc(0)
  }

  return path.subarray(start, end)
}

/** Returns true when the bytes are valid UTF-8. */
export function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes)
}

/**
 * Converts a raw path to the string form used in `FileEntry.path`, warnings and restore requests:
 * the UTF-8 text, or `base64:` followed by the raw bytes in base64 when they are not valid UTF-8.
 */
export function pathToText(bytes: Buffer): string {
  return isUtf8(bytes) && !bytes.toString('utf8').startsWith('base64:')
    ? bytes.toString('utf8')
    : `base64:${bytes.toString('base64')}`
}

/** Converts the string form of `pathToText` back to raw bytes. */
export function textToPath(text: string): Buffer {
  return text.startsWith('base64:')
    ? Buffer.from(text.slice(7), 'base64')
    : Buffer.from(text, 'utf8')
}

/** Returns true when `path` equals `prefix` or lies below it; an empty prefix matches everything. */
export function isUnder(path: Buffer, prefix: Buffer): boolean {
  if (prefix.length === 0) {
    return true
  }

  if (path.length === prefix.length) {
    return path.equals(prefix)
  }

  return (
    path.length > prefix.length &&
    path[prefix.length] === 0x2f &&
    path.subarray(0, prefix.length).equals(prefix)
  )
}
