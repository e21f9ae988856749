import type Ajv from 'ajv'
import { CofferError } from '../errors.js'
import { isSemanticVersion } from '../semver.js'
import {
  createAjv,
  formatFieldProblems,
  quoteValue,
  toFieldProblems,
  type FieldProblem,
} from './ajv_errors.js'
import { MANIFEST_PATTERN_DESCRIPTIONS, manifestSchema, manifestSourceSchema } from './schema.js'
import {
  MANIFEST_FILE_NAME,
  type EngineManifest,
  type EngineManifestSource,
  type JsonSchema,
} from './types.js'

// Compiled on first use, so importing the SDK (for example into an engine bundle) runs no ajv
// code and a bundler can drop ajv when validation is unused.
let compiled:
  { ajv: Ajv.Ajv; manifest: Ajv.ValidateFunction; source: Ajv.ValidateFunction } | undefined

function validators() {
  if (!compiled) {
    const ajv = createAjv()
    compiled = {
      ajv,
      manifest: ajv.compile(manifestSchema),
      source: ajv.compile(manifestSourceSchema),
    }
  }

  return compiled
}

/**
 * Validates a parsed `engine.json` and returns it typed. Raises `INVALID_MANIFEST` with every
 * problem, each naming its field; `details.problems` lists them as `{ field, message }`.
 */
export function validateManifest(value: unknown, label = MANIFEST_FILE_NAME): EngineManifest {
  const problems = shapeProblems(validators().manifest, value)
  if (problems.length === 0) {
    const manifest = value as EngineManifest
    problems.push(...commonProblems(manifest), ...fileProblems(manifest))
  }

  raiseIfAny(problems, label)
  return value as EngineManifest
}

/** Validates the source manifest an engine package points to from its package.json. */
export function validateManifestSource(value: unknown, label: string): EngineManifestSource {
  const problems = shapeProblems(validators().source, value).map(explainBuildField)
  if (problems.length === 0) {
    problems.push(...commonProblems(value as EngineManifestSource))
  }

  raiseIfAny(problems, label)
  return value as EngineManifestSource
}

/** Parses and validates the text of `engine.json`. */
export function parseManifest(text: string, label = MANIFEST_FILE_NAME): EngineManifest {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new CofferError(
      'INVALID_MANIFEST',
      `invalid ${label}: not valid JSON (${(error as Error).message}); fix the file's syntax`,
      { cause: error }
    )
  }

  return validateManifest(value, label)
}

/** Returns the names of the secret option fields: `secretOptions` plus every host secret. */
export function secretOptionNames(manifest: Pick<EngineManifest, 'secretOptions' | 'hostSecrets'>) {
  const names = new Set(manifest.secretOptions)
  for (const secret of manifest.hostSecrets) {
    names.add(secret.name)
  }

  return [...names]
}

function shapeProblems(check: Ajv.ValidateFunction, value: unknown): FieldProblem[] {
  if (check(value)) {
    return []
  }

  return toFieldProblems(check.errors, { value, patterns: MANIFEST_PATTERN_DESCRIPTIONS })
}

// The source manifest has no `files` or `entry` because the build writes both into engine.json.
function explainBuildField(problem: FieldProblem): FieldProblem {
  if (problem.message !== 'is not a known field') {
    return problem
  }

  if (problem.field === 'files') {
    return {
      field: 'files',
      message:
        'is computed by coffer-engine build (the sha256 of each bundle file); remove it from the source manifest',
    }
  }

  if (problem.field === 'entry') {
    return {
      field: 'entry',
      message:
        'is set by coffer-engine build; remove it, and name the entry module in the "coffer": { "entry" } field of package.json',
    }
  }

  return problem
}

// Checks that apply to both the source manifest and engine.json.
function commonProblems(manifest: EngineManifestSource): FieldProblem[] {
  const problems: FieldProblem[] = []

  if (manifest.version !== undefined && !isSemanticVersion(manifest.version)) {
    problems.push({
      field: 'version',
      message: `must be a semantic version such as 1.0.0, got ${quoteValue(manifest.version)}`,
    })
  }

  if (!isSemanticVersion(manifest.minAgentVersion)) {
    problems.push({
      field: 'minAgentVersion',
      message: `must be a semantic version such as 0.1.0, got ${quoteValue(manifest.minAgentVersion)}`,
    })
  }

  problems.push(...optionsSchemaProblems(manifest))
  return problems
}

// The options schema must be a valid draft-07 object schema whose secret fields agree with
// `secretOptions` and `hostSecrets`, so the host can tell which values to encrypt and redact.
function optionsSchemaProblems(manifest: EngineManifestSource): FieldProblem[] {
  const schema = manifest.optionsSchema
  const { ajv } = validators()
  if (!ajv.validateSchema(schema)) {
    const problems = toFieldProblems(ajv.errors, { value: schema })
    const detail = problems
      .map((problem) => (problem.field ? `${problem.field} ${problem.message}` : problem.message))
      .join(', ')
    return [{ field: 'optionsSchema', message: `is not a valid JSON Schema: ${detail}` }]
  }

  if (schema.type !== 'object') {
    return [{ field: 'optionsSchema.type', message: 'must be "object"' }]
  }

  const problems: FieldProblem[] = []
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>

  for (const name of manifest.secretOptions) {
    if (!(name in properties)) {
      problems.push({
        field: 'secretOptions',
        message: `names "${name}", which optionsSchema.properties lacks`,
      })
      continue
    }

    if (properties[name].writeOnly !== true) {
      problems.push({
        field: `optionsSchema.properties.${name}.writeOnly`,
        message: 'must be true because secretOptions lists the field',
      })
    }
  }

  for (const [name, property] of Object.entries(properties)) {
    if (property.writeOnly === true && !manifest.secretOptions.includes(name)) {
      problems.push({
        field: 'secretOptions',
        message: `must list "${name}" because optionsSchema marks it writeOnly`,
      })
    }
  }

  for (const [index, secret] of manifest.hostSecrets.entries()) {
    if (!manifest.secretOptions.includes(secret.name)) {
      problems.push({
        field: `hostSecrets.${index}.name`,
        message: `"${secret.name}" must also be listed in secretOptions`,
      })
    }
  }

  return problems
}

function fileProblems(manifest: EngineManifest): FieldProblem[] {
  const problems: FieldProblem[] = []

  if (!(manifest.entry in manifest.files)) {
    problems.push({ field: 'entry', message: `"${manifest.entry}" is not listed in files` })
  }

  if (MANIFEST_FILE_NAME in manifest.files) {
    problems.push({ field: 'files', message: `must not list ${MANIFEST_FILE_NAME} itself` })
  }

  return problems
}

function raiseIfAny(problems: FieldProblem[], label: string): void {
  if (problems.length === 0) {
    return
  }

  throw new CofferError(
    'INVALID_MANIFEST',
    `invalid ${label}: ${formatFieldProblems(problems)}; fix these fields and rebuild the bundle`,
    { details: { problems } }
  )
}
