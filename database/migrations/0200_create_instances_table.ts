import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Where resources come from: a Coolify instance, or a plain Docker host whose resources are the
 * volumes and bind mounts its agents report.
 */
export default class extends BaseSchema {
  protected tableName = 'instances'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('id', 36).primary()
      table.string('name', 120).notNullable()
      table.enum('kind', ['coolify', 'docker']).notNullable()
      table.string('coolify_url', 2048).nullable()
      /** Vault envelope of the Coolify API token. */
      table.text('coolify_token').nullable()
      /** sha256 hex of the current enrollment token; the token itself is shown once. */
      table.string('enrollment_token_hash', 64).nullable().unique()
      table.timestamp('enrollment_token_rotated_at').nullable()

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
