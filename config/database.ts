import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig } from '@adonisjs/lucid'

/** Migration settings shared by both connections. */
const migrations = {
  naturalSort: true,
  paths: ['database/migrations'],
}

/**
 * The metadata database. SQLite (one file, created with its folder at boot) suits one
 * controller; PostgreSQL suits several controllers sharing the job queue.
 */
const dbConfig = defineConfig({
  connection: env.get('DB_CONNECTION', 'sqlite'),
  connections: {
    sqlite: {
      client: 'sqlite3',
      connection: {
        filename: env.get('SQLITE_PATH') ?? app.tmpPath('coffer.sqlite3'),
      },
      useNullAsDefault: true,
      migrations,
    },
    pg: {
      client: 'pg',
      connection: {
        host: env.get('PG_HOST', '127.0.0.1'),
        port: env.get('PG_PORT', 5432),
        user: env.get('PG_USER', 'coffer'),
        password: env.get('PG_PASSWORD')?.release(),
        database: env.get('PG_DB_NAME', 'coffer'),
      },
      migrations,
      /** database/schema.ts is generated from SQLite only, so both databases share one file. */
      schemaGeneration: { enabled: false },
    },
  },
})

export default dbConfig
