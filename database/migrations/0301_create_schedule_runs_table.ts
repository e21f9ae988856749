import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * One row per fired slot of a schedule, and per claimed periodic task (reconciliation, Coolify
 * sync). The unique run key makes each slot fire once even with several controllers.
 */
export default class extends BaseSchema {
  protected tableName = 'schedule_runs'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('id', 36).primary()
      /** Null for periodic tasks that belong to no schedule. */
      table.string('schedule_id', 36).nullable().references('schedules.id').onDelete('CASCADE')
      /** `<schedule id>@<slot as ISO UTC>`, or `<task>:<period>` for periodic tasks. */
      table.string('run_key', 255).notNullable().unique()
      table.timestamp('slot_at').notNullable()
      /** Slots skipped while no controller ran, caught up by this run. */
      table.integer('missed_slots').notNullable().defaultTo(0)
      /** Ids of the backup jobs the run queued, as JSON. */
      table.text('job_ids').notNullable()
      table.timestamp('overdue_alerted_at').nullable()

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
      table.index(['schedule_id', 'slot_at'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
