/** Stable codes of Coolify API failures, for tests and for the panel to switch on. */
export type CoolifyErrorCode =
  | 'COOLIFY_UNREACHABLE'
  | 'COOLIFY_TIMEOUT'
  | 'COOLIFY_REDIRECT'
  | 'COOLIFY_INVALID_TOKEN'
  | 'COOLIFY_API_DISABLED'
  | 'COOLIFY_IP_NOT_ALLOWED'
  | 'COOLIFY_MISSING_ABILITY'
  | 'COOLIFY_FORBIDDEN'
  | 'COOLIFY_NOT_FOUND'
  | 'COOLIFY_RATE_LIMITED'
  | 'COOLIFY_VERSION_TOO_OLD'
  | 'COOLIFY_INVALID_RESPONSE'
  | 'COOLIFY_HTTP_ERROR'

/** A failed Coolify API call, with a message that says what to do next. */
export class CoolifyError extends Error {
  constructor(
    readonly code: CoolifyErrorCode,
    message: string,
    readonly details: { status?: number; retryAfterSeconds?: number } = {}
  ) {
    super(message)
    this.name = 'CoolifyError'
  }
}

/**
 * Compares two Coolify versions such as `4.3.11` and `4.0.0-beta.469`. A pre-release sorts
 * before its release (4.0.0-beta.469 < 4.0.0). Returns a negative number, zero or a positive one.
 */
export function compareCoolifyVersions(left: string, right: string) {
  const parse = (version: string) => {
    const [release, pre] = version.trim().replace(/^v/, '').split('-', 2)
    const numbers = release.split('.').map((part) => Number.parseInt(part, 10) || 0)
    const preNumber = pre ? Number.parseInt(pre.replace(/^\D+\.?/, ''), 10) || 0 : null
    return { numbers, preNumber }
  }

  const a = parse(left)
  const b = parse(right)
  for (let index = 0; index < 3; index++) {
    const difference = (a.numbers[index] ?? 0) - (b.numbers[index] ?? 0)
    if (difference !== 0) {
      return difference
    }
  }

  if (a.preNumber === null || b.preNumber === null) {
    return (a.preNumber === null ? 1 : 0) - (b.preNumber === null ? 1 : 0)
  }
  return a.preNumber - b.preNumber
}
