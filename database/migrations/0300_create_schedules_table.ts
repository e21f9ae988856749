import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Backup schedules: a cron expression evaluated in the configured timezone, a scope (one
 * resource, every resource of a server, or every resource of an instance), a destination, a mode
 * and a retention policy.
 */
export default class extends BaseSchema {
  protected tableName = 'schedules'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('id', 36).primary()
      table.string('name', 120).notNullable()
      table.enum('scope_type', ['resource', 'server', 'instance']).notNullable()
      /** Id of the resource, server or instance the schedule covers. */
      table.string('scope_id', 36).notNullable()
      table.string('destination_id', 36).notNullable().references('destinations.id')
      table.string('cron', 255).notNullable()
      /** versioned keeps snapshots by retention; sync keeps only the newest one. */
      table.enum('mode', ['versioned', 'sync']).notNullable()
      /** Snapshots to keep per bucket, as JSON: { daily, weekly, monthly, yearly }. */
      table.text('retention').notNullable()
      table.boolean('enabled').notNullable().defaultTo(true)
      /** The newest slot this schedule was fired (or caught up) for. */
      table.timestamp('last_slot_at').nullable()

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
      table.index(['scope_type', 'scope_id'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
