import { BaseSchema } from '@adonisjs/lucid/schema'

/** Security events shown to admins on the audit log page. Details never contain secrets. */
export default class extends BaseSchema {
  protected tableName = 'audit_events'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id').notNullable()
      table.string('event', 100).notNullable().index()
      /** The acting user; kept as a plain column so the event outlives the account. */
      table.integer('actor_id').nullable()
      table.string('actor_email', 254).nullable()
      table.string('ip', 64).nullable()
      /** JSON object with event-specific details. */
      table.text('details').notNullable().defaultTo('{}')

      table.timestamp('created_at').notNullable().index()
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
