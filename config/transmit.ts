import { defineConfig } from '@adonisjs/transmit'

/** Server-sent events for live job logs and progress. */
export default defineConfig({
  /** Keeps idle connections open through proxies. */
  pingInterval: '30s',
  transport: null,
})
