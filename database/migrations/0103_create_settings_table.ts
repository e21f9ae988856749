import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Settings changed from the panel, as key/value pairs. Secret values are vault envelopes bound
 * to their key, and is_secret marks them for `vault:rotate`.
 */
export default class extends BaseSchema {
  protected tableName = 'settings'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('key', 191).primary()
      table.text('value').nullable()
      table.boolean('is_secret').notNullable().defaultTo(false)

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
