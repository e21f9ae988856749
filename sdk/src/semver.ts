import { CofferError } from './errors.js'

/** A parsed semantic version (semver.org 2.0.0); build metadata is kept but never compared. */
export interface SemanticVersion {
  major: number
  minor: number
  patch: number
  prerelease: string[]
  build: string[]
}

// The regular expression published on semver.org for version 2.0.0.
const SEMVER_PATTERN =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

/** Tells whether `value` is a semantic version such as `1.2.3` or `1.0.0-rc.1`. */
export function isSemanticVersion(value: unknown): value is string {
  return typeof value === 'string' && SEMVER_PATTERN.test(value)
}

/** Parses a semantic version; raises `INVALID_ARGUMENT` naming the value when it is not one. */
export function parseSemanticVersion(value: string): SemanticVersion {
  const match = SEMVER_PATTERN.exec(value)
  if (!match) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `invalid semantic version ${JSON.stringify(value)}: expected MAJOR.MINOR.PATCH, for example 1.4.0`,
      { details: { value } }
    )
  }

  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    prerelease: match[4] ? match[4].split('.') : [],
    build: match[5] ? match[5].split('.') : [],
  }
}

/** Compares two versions by semver precedence: negative when a < b, 0 when equal, positive otherwise. */
export function compareSemanticVersions(a: string, b: string): number {
  const left = parseSemanticVersion(a)
  const right = parseSemanticVersion(b)

  const core = left.major - right.major || left.minor - right.minor || left.patch - right.patch
  if (core !== 0) {
    return Math.sign(core)
  }

  return comparePrerelease(left.prerelease, right.prerelease)
}

// A version without a prerelease ranks above the same version with one (1.0.0-rc.1 < 1.0.0).
function comparePrerelease(left: string[], right: string[]): number {
  if (left.length === 0 || right.length === 0) {
    return Math.sign(right.length - left.length)
  }

  const length = Math.min(left.length, right.length)
  for (let index = 0; index < length; index++) {
    const order = compareIdentifier(left[index], right[index])
    if (order !== 0) {
      return order
    }
  }

  return Math.sign(left.length - right.length)
}

// Numeric identifiers compare as numbers and rank below alphanumeric ones.
function compareIdentifier(left: string, right: string): number {
  const leftNumeric = /^\d+$/.test(left)
  const rightNumeric = /^\d+$/.test(right)

  if (leftNumeric && rightNumeric) {
    return Math.sign(Number(left) - Number(right))
  }

  if (leftNumeric !== rightNumeric) {
    return leftNumeric ? -1 : 1
  }

  return left < right ? -1 : left > right ? 1 : 0
}
