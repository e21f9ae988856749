import vine from '@vinejs/vine'

/** Absolute POSIX path without `..` segments or NUL bytes. */
const absolutePath = () =>
  vine
    .string()
    .trim()
    .maxLength(1024)
    .regex(/^\/(?!.*(^|\/)\.\.(\/|$))[^\0]*$/)

/**
 * The destination form. Secret fields are write-only: left empty on edit, they keep their
 * stored value.
 */
export const destinationValidator = vine.create({
  name: vine.string().trim().minLength(1).maxLength(120),
  kind: vine.enum(['local', 'sftp', 's3']),
  engineId: vine.string().trim().maxLength(214),

  localPath: absolutePath().optional().requiredWhen('kind', '=', 'local'),

  sftpHost: vine.string().trim().maxLength(255).optional().requiredWhen('kind', '=', 'sftp'),
  sftpPort: vine.number().withoutDecimals().min(1).max(65535).optional(),
  sftpUsername: vine.string().trim().maxLength(255).optional().requiredWhen('kind', '=', 'sftp'),
  sftpPath: absolutePath().optional().requiredWhen('kind', '=', 'sftp'),
  sftpPrivateKey: vine.string().maxLength(16384).optional(),
  sftpPassphrase: vine.string().maxLength(1024).optional(),
  sftpPassword: vine.string().maxLength(1024).optional(),
  sftpJumpHost: vine.string().trim().maxLength(255).optional(),
  sftpJumpPort: vine.number().withoutDecimals().min(1).max(65535).optional(),
  sftpJumpUsername: vine.string().trim().maxLength(255).optional(),
  sftpJumpPrivateKey: vine.string().maxLength(16384).optional(),
  sftpJumpPassword: vine.string().maxLength(1024).optional(),

  s3Bucket: vine
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)
    .optional()
    .requiredWhen('kind', '=', 's3'),
  s3Region: vine.string().trim().maxLength(64).optional(),
  s3Endpoint: vine
    .string()
    .trim()
    .url({ require_tld: false, protocols: ['http', 'https'] })
    .optional(),
  s3PathStyle: vine.boolean().optional(),
  s3Prefix: vine.string().trim().maxLength(512).optional(),
  s3AccessKeyId: vine.string().trim().maxLength(256).optional(),
  s3SecretAccessKey: vine.string().maxLength(256).optional(),

  /** Engine options, by field name, as the engine's JSON Schema describes them. */
  engineOptions: vine.record(vine.any().nullable().optional()).optional(),
})
