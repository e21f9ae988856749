import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Invitations to join with a role. Only the sha256 of the link's token is stored; an invitation
 * is single-use, bound to its email, and expires after 48 hours.
 */
export default class extends BaseSchema {
  protected tableName = 'invitations'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('id', 36).primary()
      table.string('email', 254).notNullable().index()
      table.enum('role', ['admin', 'operator', 'viewer']).notNullable()
      /** Hex sha256 of the token in the invitation link. */
      table.string('token_hash', 64).notNullable().unique()
      table
        .integer('invited_by_id')
        .unsigned()
        .nullable()
        .references('id')
        .inTable('users')
        .onDelete('SET NULL')
      table.timestamp('expires_at').notNullable()
      table.timestamp('accepted_at').nullable()
      table.timestamp('revoked_at').nullable()
      table.timestamp('emailed_at').nullable()

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
