export * from './types.js'
export {
  validateManifest,
  validateManifestSource,
  parseManifest,
  secretOptionNames,
} from './validate.js'
export {
  checkEngineOptions,
  assertEngineOptions,
  redactSecretOptions,
  REDACTED,
} from './options.js'
export type { FieldProblem } from './ajv_errors.js'
