import { defineConfig } from '@adonisjs/core/bodyparser'

const bodyParserConfig = defineConfig({
  /** Methods whose bodies are parsed. */
  allowedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],

  /** HTML forms. */
  form: {
    convertEmptyStringsToNull: true,
    types: ['application/x-www-form-urlencoded'],
  },

  /** JSON bodies of the agent API and of scripts. */
  json: {
    convertEmptyStringsToNull: true,
    types: [
      'application/json',
      'application/json-patch+json',
      'application/vnd.api+json',
      'application/csp-report',
    ],
  },

  /** File uploads (engine bundles); files are streamed to tmp/, never held in memory whole. */
  multipart: {
    autoProcess: true,
    convertEmptyStringsToNull: true,
    processManually: [],
    limit: '200mb',
    types: ['multipart/form-data'],
  },
})

export default bodyParserConfig
