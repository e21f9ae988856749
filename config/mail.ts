import env from '#start/env'
import { defineConfig, transports } from '@adonisjs/mail'

/**
 * Outgoing mail over SMTP. The SMTP settings page stores its values in the database; the mail
 * service builds its transport from those, with the SMTP_* variables taking precedence. This
 * file only holds the boot-time default.
 */
const mailConfig = defineConfig({
  default: 'smtp',

  from: {
    address: env.get('MAIL_FROM_ADDRESS', 'coffer@localhost'),
    name: env.get('MAIL_FROM_NAME', 'Coffer'),
  },

  globals: {
    brandName: 'Coffer',
  },

  mailers: {
    smtp: transports.smtp({
      host: env.get('SMTP_HOST', '127.0.0.1'),
      port: env.get('SMTP_PORT', 25),
      secure: env.get('SMTP_SECURE', false),
    }),
  },
})

export default mailConfig

declare module '@adonisjs/mail/types' {
  export interface MailersList extends InferMailers<typeof mailConfig> {}
}
