import { createRequire } from 'node:module'
import type Ajv from 'ajv'

/** One problem found by a JSON Schema check, on one field. */
export interface FieldProblem {
  /** Dotted path of the field, such as `capabilities.dedup`; empty for the whole value. */
  field: string
  message: string
}

/** Creates the ajv instance the SDK uses: every error reported, JSON Pointer paths. */
export function createAjv(): Ajv.Ajv {
  // ajv is loaded on first use and not imported at the top, so an engine bundle that imports the
  // SDK without validating anything does not carry ajv's 250 KB.
  // NOTE: an engine bundle that does validate needs ajv next to it at run time, because the
  // bundler cannot see this require.
  const AjvConstructor = createRequire(import.meta.url)('ajv') as typeof Ajv
  return new AjvConstructor({ allErrors: true, jsonPointers: true })
}

/** Converts ajv's errors to one problem per field, naming the field as a dotted path. */
export function toFieldProblems(errors: Ajv.ErrorObject[] | null | undefined): FieldProblem[] {
  if (!errors) {
    return []
  }

  return errors.map((error) => {
    const segments = error.dataPath
      .split('/')
      .slice(1)
      .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    const params = error.params as Record<string, unknown>

    if (error.keyword === 'required') {
      segments.push(String(params.missingProperty))
      return { field: segments.join('.'), message: 'is required' }
    }

    if (error.keyword === 'additionalProperties') {
      segments.push(String(params.additionalProperty))
      return { field: segments.join('.'), message: 'is not a known field' }
    }

    if (error.keyword === 'enum') {
      const allowed = (params.allowedValues as unknown[]).map((value) => JSON.stringify(value))
      return { field: segments.join('.'), message: `must be one of ${allowed.join(', ')}` }
    }

    return { field: segments.join('.'), message: error.message ?? `fails ${error.keyword}` }
  })
}

/** Formats problems as `field: message; field: message`. */
export function formatFieldProblems(problems: FieldProblem[]): string {
  return problems
    .map((problem) => (problem.field ? `${problem.field}: ${problem.message}` : problem.message))
    .join('; ')
}
