import type Ajv from 'ajv'
import { CofferError } from '../errors.js'
import { createAjv, formatFieldProblems, toFieldProblems } from './ajv_errors.js'
import type { EngineManifest } from './types.js'
import { secretOptionNames } from './validate.js'

/** Placeholder that replaces secret values in logs, errors and the panel. */
export const REDACTED = '[redacted]'

// Created on first use, like the manifest validators, so an import runs no ajv code.
let ajv: Ajv.Ajv | undefined
const compiled = new WeakMap<object, Ajv.ValidateFunction>()

/**
 * Validates per-destination options against the manifest's `optionsSchema`. Returns a message per
 * invalid field (the form `validateOptions` of an engine returns); an empty object when valid.
 */
export function checkEngineOptions(
  manifest: Pick<EngineManifest, 'optionsSchema'>,
  options: unknown
): Record<string, string> {
  const validate = compileOptionsSchema(manifest.optionsSchema)
  if (validate(options)) {
    return {}
  }

  const messages: Record<string, string> = {}
  for (const problem of toFieldProblems(validate.errors)) {
    const field = problem.field || '(options)'
    messages[field] = messages[field] ? `${messages[field]}; ${problem.message}` : problem.message
  }

  return messages
}

/**
 * Validates options like `checkEngineOptions` and raises `INVALID_OPTIONS` when any field is
 * invalid; `details.fields` carries the message per field. Messages never contain option values.
 */
export function assertEngineOptions(
  manifest: Pick<EngineManifest, 'id' | 'optionsSchema'>,
  options: unknown
): Record<string, unknown> {
  const fields = checkEngineOptions(manifest, options)
  if (Object.keys(fields).length === 0) {
    return options as Record<string, unknown>
  }

  const problems = Object.entries(fields).map(([field, message]) => ({ field, message }))
  throw new CofferError(
    'INVALID_OPTIONS',
    `invalid options for engine ${manifest.id}: ${formatFieldProblems(problems)}; correct the destination's engine settings`,
    { details: { fields } }
  )
}

/** Returns a copy of `options` with every secret field replaced by `[redacted]`. */
export function redactSecretOptions(
  manifest: Pick<EngineManifest, 'secretOptions' | 'hostSecrets'>,
  options: Record<string, unknown>
): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...options }
  for (const name of secretOptionNames(manifest)) {
    if (copy[name] !== undefined) {
      copy[name] = REDACTED
    }
  }

  return copy
}

function compileOptionsSchema(schema: object): Ajv.ValidateFunction {
  const cached = compiled.get(schema)
  if (cached) {
    return cached
  }

  ajv ??= createAjv()
  const validate = ajv.compile(schema)
  compiled.set(schema, validate)
  return validate
}
