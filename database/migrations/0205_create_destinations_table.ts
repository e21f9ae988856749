import { BaseSchema } from '@adonisjs/lucid/schema'

/** Where backups land, with the engine that writes them there. */
export default class extends BaseSchema {
  protected tableName = 'destinations'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('id', 36).primary()
      table.string('name', 120).notNullable()
      table.enum('kind', ['local', 'sftp', 's3']).notNullable()
      /** Driver settings without secrets, as JSON. */
      table.text('config').notNullable()
      /** Vault envelope of the driver secrets (JSON object). */
      table.text('secrets').nullable()
      table.string('engine_id', 214).notNullable()
      /** Engine options without secret fields, as JSON. */
      table.text('engine_options').notNullable()
      /** Vault envelope of the secret engine options and host secrets (JSON object). */
      table.text('engine_secrets').nullable()
      table.timestamp('last_tested_at').nullable()
      /** Outcome of the last Test, as JSON. */
      table.text('last_test_result').nullable()

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
