import { createHash } from 'node:crypto'

/** Computes the OpenSSH fingerprint (`SHA256:` and unpadded base64) of a public key blob. */
export function hostKeyFingerprint(blob: Buffer): string {
  const digest = createHash('sha256').update(blob).digest('base64')
  return `SHA256:${digest.replace(/=+$/, '')}`
}

/** Formats a public key blob as an OpenSSH line, such as `ssh-ed25519 AAAA...`. */
export function formatHostKey(blob: Buffer): string {
  return `${readKeyType(blob)} ${blob.toString('base64')}`
}

/**
 * Parses an OpenSSH public key line (`type base64 [comment]`, or a known_hosts line with the
 * host first) into its blob. Returns null when no valid key is found.
 */
export function parseHostKey(line: string): Buffer | null {
  const fields = line.trim().split(/\s+/)

  for (let index = 0; index + 1 < fields.length; index++) {
    const blob = Buffer.from(fields[index + 1], 'base64')
    if (blob.length > 4 && readKeyType(blob) === fields[index]) {
      return blob
    }
  }

  return null
}

/** Normalizes a fingerprint for comparison: the `SHA256:` prefix and no base64 padding. */
export function normalizeFingerprint(fingerprint: string): string {
  const trimmed = fingerprint.trim().replace(/=+$/, '')
  return trimmed.startsWith('SHA256:') ? trimmed : `SHA256:${trimmed}`
}

function readKeyType(blob: Buffer): string {
  if (blob.length < 4) {
    return ''
  }

  const length = blob.readUInt32BE(0)
  if (length > blob.length - 4 || length > 64) {
    return ''
  }

  return blob.subarray(4, 4 + length).toString('latin1')
}
