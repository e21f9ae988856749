import { defineConfig } from '@adonisjs/static'

/** Serves public/ (styles and small scripts of the panel). */
const staticServerConfig = defineConfig({
  enabled: true,
  etag: true,
  lastModified: true,
  dotFiles: 'ignore',
})

export default staticServerConfig
