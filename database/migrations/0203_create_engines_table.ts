import { BaseSchema } from '@adonisjs/lucid/schema'

/** Engine bundles known to the controller, accepted or rejected, with the reason. */
export default class extends BaseSchema {
  protected tableName = 'engines'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('id', 36).primary()
      table.string('engine_id', 214).notNullable()
      table.string('version', 64).notNullable()
      /** sha256 hex of the bundle file. */
      table.string('digest', 64).notNullable().unique()
      table.string('key_id', 64).nullable()
      table.enum('source', ['workspace', 'package', 'upload']).notNullable()
      table.enum('status', ['accepted', 'rejected']).notNullable()
      table.text('rejection_reason').nullable()
      /** engine.json as JSON. */
      table.text('manifest').nullable()
      /** The detached signature as JSON. */
      table.text('signature').nullable()
      /** Path of the bundle file, relative to the controller's engine store. */
      table.string('bundle_path', 1024).notNullable()

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
