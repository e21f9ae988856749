import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** Returns the hex sha256 of a token, the only form in which tokens are stored. */
export function hashToken(token: string) {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/**
 * Makes a random URL-safe token of 32 bytes, optionally prefixed (`coffer_agent_...`) so a
 * leaked token shows what it is for.
 */
export function generateToken(prefix?: string) {
  const random = randomBytes(32).toString('base64url')
  return prefix ? `${prefix}_${random}` : random
}

/** Makes a random token and its sha256 hash, for tables that store only the hash. */
export function generateHashedToken(prefix?: string) {
  const token = generateToken(prefix)
  return { token, hash: hashToken(token) }
}

/** Compares two hex hashes in constant time. */
export function hashesEqual(left: string, right: string) {
  const a = Buffer.from(left, 'hex')
  const b = Buffer.from(right, 'hex')
  return a.length === b.length && timingSafeEqual(a, b)
}
