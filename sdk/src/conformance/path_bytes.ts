/**
 * Paths as raw bytes. File names on Linux are byte strings that need not be valid UTF-8, so the
 * kit joins and prints them as Buffers and never decodes them.
 */

const SEPARATOR = Buffer.from('/')

/** Joins path parts with `/`, keeping every byte as it is. */
export function joinBytes(...parts: (Buffer | string)[]): Buffer {
  const buffers: Buffer[] = []
  for (const part of parts) {
    const buffer = typeof part === 'string' ? Buffer.from(part) : part
    if (buffer.length === 0) {
      continue
    }

    if (buffers.length > 0) {
      buffers.push(SEPARATOR)
    }

    buffers.push(buffer)
  }

  return Buffer.concat(buffers)
}

/**
 * Formats a path for messages: printable ASCII as is, `\n`, `\t` and `\\` escaped, every other
 * byte as `\xNN`, inside double quotes.
 */
export function displayPath(path: Buffer | string): string {
  const bytes = typeof path === 'string' ? Buffer.from(path) : path
  let text = ''
  for (const byte of bytes) {
    if (byte === 0x0a) {
      text += '\\n'
    } else if (byte === 0x09) {
      text += '\\t'
    } else if (byte === 0x5c) {
      text += '\\\\'
    } else if (byte === 0x22) {
      text += '\\"'
    } else if (byte >= 0x20 && byte < 0x7f) {
      text += String.fromCharCode(byte)
    } else {
      text += `\\x${byte.toString(16).padStart(2, '0')}`
    }
  }

  return `"${text}"`
}

/** Tells whether `bytes` is valid UTF-8, so a path can travel as a JavaScript string. */
export function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8')).equals(bytes)
}

/** A map key for a path: one character per byte, so distinct byte strings never collide. */
export function pathKey(bytes: Buffer): string {
  return bytes.toString('latin1')
}
