import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Single-use tokens mailed to a user: password resets and email verifications. Only the
 * sha256 of each token is stored.
 */
export default class extends BaseSchema {
  protected tableName = 'user_tokens'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('id', 36).primary()
      table
        .integer('user_id')
        .unsigned()
        .notNullable()
        .references('id')
        .inTable('users')
        .onDelete('CASCADE')
      table.enum('purpose', ['password_reset', 'email_verification']).notNullable()
      /** Hex sha256 of the token in the mailed link. */
      table.string('token_hash', 64).notNullable().unique()
      /** The address the token was sent to; a verification only counts for that address. */
      table.string('email', 254).notNullable()
      table.timestamp('expires_at').notNullable()
      table.timestamp('used_at').nullable()

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
