import { createRequire } from 'node:module'
import type Ajv from 'ajv'

/** One problem found by a JSON Schema check, on one field. */
export interface FieldProblem {
  /** Dotted path of the field, such as `capabilities.dedup`; empty for the whole value. */
  field: string
  message: string
}

/** Options of `toFieldProblems`. */
export interface FieldProblemOptions {
  /**
   * The value that was validated. When given, messages quote the rejected value, so never pass
   * data that may hold secrets (such as per-destination options).
   */
  value?: unknown
  /** Plain descriptions of schema patterns by pattern, such as "64 lowercase hex digits". */
  patterns?: Record<string, string>
}

// Longest quoted value in a message, so a long description does not flood the output.
const MAX_QUOTED_LENGTH = 60

/** Creates the ajv instance the SDK uses: every error reported, JSON Pointer paths. */
export function createAjv(): Ajv.Ajv {
  // ajv is loaded on first use and not imported at the top, so an engine bundle that imports the
  // SDK without validating anything does not carry ajv's 250 KB.
  // NOTE: an engine bundle that does validate needs ajv next to it at run time, because the
  // bundler cannot see this require.
  const AjvConstructor = createRequire(import.meta.url)('ajv') as typeof Ajv
  return new AjvConstructor({ allErrors: true, jsonPointers: true })
}

/**
 * Converts ajv's errors to one problem per field, naming the field as a dotted path and saying
 * in plain words what the schema expects (and, with `options.value`, what it got).
 */
export function toFieldProblems(
  errors: Ajv.ErrorObject[] | null | undefined,
  options: FieldProblemOptions = {}
): FieldProblem[] {
  if (!errors) {
    return []
  }

  // A propertyNames failure also reports the failing inner keyword with `propertyName` set. The
  // propertyNames error alone names the key, so the inner one is dropped. An anyOf or oneOf
  // failure adds nothing to the errors of its branches on the same field.
  const reported = errors.filter((error) => {
    if ('propertyName' in error) {
      return false
    }

    const isUnion = error.keyword === 'anyOf' || error.keyword === 'oneOf'
    return !isUnion || !errors.some((other) => other !== error && other.dataPath === error.dataPath)
  })
  return reported.map((error) => toFieldProblem(error, options))
}

/** Formats problems as `field: message; field: message`. */
export function formatFieldProblems(problems: FieldProblem[]): string {
  return problems
    .map((problem) => (problem.field ? `${problem.field}: ${problem.message}` : problem.message))
    .join('; ')
}

/** Quotes a value for a message as JSON, cut to 60 characters. */
export function quoteValue(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value)
  return text.length > MAX_QUOTED_LENGTH ? `${text.slice(0, MAX_QUOTED_LENGTH - 3)}...` : text
}

function toFieldProblem(error: Ajv.ErrorObject, options: FieldProblemOptions): FieldProblem {
  const segments = error.dataPath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
  const params = error.params as Record<string, unknown>

  if (error.keyword === 'required') {
    return {
      field: [...segments, String(params.missingProperty)].join('.'),
      message: 'is required',
    }
  }

  if (error.keyword === 'additionalProperties') {
    const field = [...segments, String(params.additionalProperty)].join('.')
    return { field, message: 'is not a known field' }
  }

  const expected = expectation(error, params, options.patterns ?? {})
  if (!('value' in options) || error.keyword === 'propertyNames') {
    return { field: segments.join('.'), message: expected }
  }

  const got = valueAt(options.value, segments)
  return { field: segments.join('.'), message: `${expected}, got ${quoteValue(got)}` }
}

// Describes in plain words what the schema keyword expects.
function expectation(
  error: Ajv.ErrorObject,
  params: Record<string, unknown>,
  patterns: Record<string, string>
): string {
  switch (error.keyword) {
    case 'type':
      return `must be ${typeNames(String(params.type))}`
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((value) => JSON.stringify(value))
      return `must be one of ${allowed.join(', ')}`
    }
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`
    case 'minItems':
      return `must have at least ${countOf(params.limit, 'item')}`
    case 'maxItems':
      return `must have at most ${countOf(params.limit, 'item')}`
    case 'minLength':
      return `must have at least ${countOf(params.limit, 'character')}`
    case 'maxLength':
      return `must have at most ${countOf(params.limit, 'character')}`
    case 'minProperties':
      return `must have at least ${countOf(params.limit, 'field')}`
    case 'maxProperties':
      return `must have at most ${countOf(params.limit, 'field')}`
    case 'minimum':
    case 'exclusiveMinimum':
      return params.exclusive === true || error.keyword === 'exclusiveMinimum'
        ? `must be above ${String(params.limit)}`
        : `must be at least ${String(params.limit)}`
    case 'maximum':
    case 'exclusiveMaximum':
      return params.exclusive === true || error.keyword === 'exclusiveMaximum'
        ? `must be below ${String(params.limit)}`
        : `must be at most ${String(params.limit)}`
    case 'multipleOf':
      return `must be a multiple of ${String(params.multipleOf)}`
    case 'uniqueItems':
      return `must not repeat an item (items ${String(params.j)} and ${String(params.i)} are equal)`
    case 'pattern': {
      const pattern = String(params.pattern)
      return patterns[pattern]
        ? `must be ${patterns[pattern]}`
        : `must match the pattern ${pattern}`
    }
    case 'propertyNames':
      return `contains the invalid name ${quoteValue(params.propertyName)}`
    case 'format':
      return `must be a valid ${String(params.format)}`
    case 'anyOf':
    case 'oneOf':
      return 'must match one of the forms the schema allows'
    default:
      return `fails the schema's ${error.keyword} rule (${error.message ?? 'no detail'})`
  }
}

// "string" -> "a string"; "string,null" -> "a string or null".
function typeNames(types: string): string {
  const names = types.split(',').map((type) => {
    if (type === 'null') {
      return 'null'
    }

    return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`
  })
  return names.join(' or ')
}

function countOf(limit: unknown, noun: string): string {
  return limit === 1 ? `1 ${noun}` : `${String(limit)} ${noun}s`
}

function valueAt(root: unknown, segments: string[]): unknown {
  let value = root
  for (const segment of segments) {
    if (typeof value !== 'object' || value === null) {
      return undefined
    }

    value = (value as Record<string, unknown>)[segment]
  }

  return value
}
