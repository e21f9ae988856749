import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, syncDestination, targets } from '@adonisjs/core/logger'

/** Application logs (pino): pretty in development, JSON lines on stdout in production. */
const loggerConfig = defineConfig({
  default: 'app',

  loggers: {
    app: {
      enabled: true,
      name: 'coffer',
      level: env.get('LOG_LEVEL'),
      /** Secret-bearing fields are removed from every log line, whatever logs them. */
      redact: {
        paths: [
          'password',
          '*.password',
          'token',
          '*.token',
          'secret',
          '*.secret',
          'secrets',
          '*.secrets',
          'authorization',
          '*.authorization',
        ],
        censor: '[redacted]',
      },
      destination: !app.inProduction ? await syncDestination() : undefined,
      transport: {
        targets: [targets.file({ destination: 1 })],
      },
    },
  },
})

export default loggerConfig

declare module '@adonisjs/core/types' {
  export interface LoggersList extends InferLoggers<typeof loggerConfig> {}
}
