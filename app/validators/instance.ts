import vine from '@vinejs/vine'

/** The instance form. */
export const instanceValidator = vine.create({
  name: vine.string().trim().minLength(1).maxLength(120),
  kind: vine.enum(['coolify', 'docker']),
  coolifyUrl: vine
    .string()
    .trim()
    .url({ require_tld: false, protocols: ['http', 'https'] })
    .maxLength(2048)
    .optional()
    .requiredWhen('kind', '=', 'coolify'),
  coolifyToken: vine.string().trim().maxLength(4096).optional(),
})
