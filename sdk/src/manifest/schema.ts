// JSON Schemas (draft-07) of `engine.json`. Format checks that JSON Schema cannot express well
// (semantic versions, the secret fields of `optionsSchema`) live in validate.ts.

const ID_PATTERN = '^[a-z0-9-]+/[a-z0-9-]+$'
const PROCESS_NAME_PATTERN = '^[A-Za-z0-9._+-]+$'
const SHA256_PATTERN = '^[0-9a-f]{64}$'

// A bundle file name: `/`-separated, relative, no empty, `.` or `..` segment.
const BUNDLE_FILE_NAME_PATTERN = '^(?!/)(?!.*(^|/)\\.{1,2}(/|$))(?!.*//)[^\\u0000\\\\]+$'

/** Plain-word descriptions of the manifest schemas' patterns, by pattern, for error messages. */
export const MANIFEST_PATTERN_DESCRIPTIONS: Record<string, string> = {
  [ID_PATTERN]:
    '<publisher>/<name> in lowercase letters, digits and hyphens, such as "acme/sample"',
  [PROCESS_NAME_PATTERN]: 'an executable name such as "tar" (letters, digits, ".", "_", "+", "-")',
  [SHA256_PATTERN]: 'a sha256 as 64 lowercase hex digits',
  [BUNDLE_FILE_NAME_PATTERN]: 'a relative file name without empty, "." or ".." segments',
}

const capabilitiesSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'incremental',
    'dedup',
    'nativeEncryption',
    'fileListing',
    'partialRestore',
    'verifyLevels',
    'sources',
  ],
  properties: {
    incremental: { type: 'boolean' },
    dedup: { type: 'boolean' },
    nativeEncryption: { type: 'boolean' },
    fileListing: { type: 'boolean' },
    partialRestore: { type: 'boolean' },
    // At least one level, so the host can always check a snapshot and the kit has levels to test.
    verifyLevels: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { enum: ['structure', 'metadata', 'data'] },
    },
    sources: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { enum: ['path', 'tar-stream'] },
    },
  },
}

const permissionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['processes', 'network'],
  properties: {
    processes: {
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', pattern: PROCESS_NAME_PATTERN },
    },
    network: { enum: ['none', 'destination'] },
  },
}

const hostSecretSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'encoding', 'bytes'],
  properties: {
    name: { type: 'string', minLength: 1 },
    encoding: { enum: ['base64', 'hex'] },
    bytes: { type: 'integer', minimum: 16, maximum: 1024 },
  },
}

/** Properties of the source manifest (`files`, `entry` and `version` are added by the build). */
const sourceProperties = {
  id: { type: 'string', pattern: ID_PATTERN },
  version: { type: 'string' },
  name: { type: 'string', minLength: 1, maxLength: 100 },
  description: { type: 'string', maxLength: 2000 },
  apiVersions: {
    type: 'array',
    minItems: 1,
    uniqueItems: true,
    items: { type: 'integer', minimum: 1 },
  },
  minAgentVersion: { type: 'string' },
  capabilities: capabilitiesSchema,
  permissions: permissionsSchema,
  optionsSchema: { type: 'object' },
  secretOptions: { type: 'array', uniqueItems: true, items: { type: 'string', minLength: 1 } },
  hostSecrets: { type: 'array', items: hostSecretSchema },
}

const sourceRequired = [
  'id',
  'name',
  'description',
  'apiVersions',
  'minAgentVersion',
  'capabilities',
  'permissions',
  'optionsSchema',
  'secretOptions',
  'hostSecrets',
]

/** Schema of the source manifest an engine package keeps next to its package.json. */
export const manifestSourceSchema = {
  type: 'object',
  additionalProperties: false,
  required: sourceRequired,
  properties: sourceProperties,
}

/** Schema of `engine.json` inside a bundle. */
export const manifestSchema = {
  type: 'object',
  additionalProperties: false,
  required: [...sourceRequired, 'version', 'entry', 'files'],
  properties: {
    ...sourceProperties,
    entry: { type: 'string', pattern: BUNDLE_FILE_NAME_PATTERN },
    files: {
      type: 'object',
      propertyNames: { pattern: BUNDLE_FILE_NAME_PATTERN },
      additionalProperties: { type: 'string', pattern: SHA256_PATTERN },
    },
  },
}
