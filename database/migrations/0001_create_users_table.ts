import { BaseSchema } from '@adonisjs/lucid/schema'

/** Accounts of the panel. The role decides what a user may change. */
export default class extends BaseSchema {
  protected tableName = 'users'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id').notNullable()
      table.string('full_name').nullable()
      table.string('email', 254).notNullable().unique()
      /** Null for accounts that only sign in through an OAuth provider. */
      table.string('password').nullable()
      table.enum('role', ['admin', 'operator', 'viewer']).notNullable().defaultTo('viewer')
      table.timestamp('email_verified_at').nullable()
      /** Bumped to end every session of the user at once (sign-out everywhere, role change). */
      table.integer('session_version').notNullable().defaultTo(1)

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
