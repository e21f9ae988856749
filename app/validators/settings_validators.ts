import vine from '@vinejs/vine'

/** SMTP settings form. Empty password keeps the stored one; `clearPassword` removes it. */
export const smtpSettingsValidator = vine.create({
  host: vine.string().trim().maxLength(255).optional(),
  port: vine.number().min(1).max(65535).withoutDecimals().optional(),
  secure: vine.boolean().optional(),
  username: vine.string().trim().maxLength(255).optional(),
  password: vine.string().maxLength(1000).optional(),
  clearPassword: vine.boolean().optional(),
  fromAddress: vine.string().trim().email().maxLength(254).optional(),
  fromName: vine.string().trim().maxLength(100).optional(),
})

/** Test email form. */
export const smtpTestValidator = vine.create({
  to: vine.string().trim().email().maxLength(254),
})

/** OAuth provider form. Empty secret keeps the stored one. */
export const oauthSettingsValidator = vine.create({
  clientId: vine.string().trim().maxLength(500).optional(),
  clientSecret: vine.string().maxLength(2000).optional(),
  clearSecret: vine.boolean().optional(),
  baseUrl: vine.string().trim().url({ require_tld: false }).maxLength(500).optional(),
})
