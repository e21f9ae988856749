import { BaseSchema } from '@adonisjs/lucid/schema'

/** Engine publisher keys that an admin accepted for the controller's engine registry. */
export default class extends BaseSchema {
  protected tableName = 'publisher_keys'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('id', 36).primary()
      table.string('name', 120).notNullable()
      /** sha256 hex of the raw public key. */
      table.string('key_id', 64).notNullable().unique()
      /** `ed25519:<base64>`. */
      table.string('public_key', 128).notNullable()

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
