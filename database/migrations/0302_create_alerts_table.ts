import { BaseSchema } from '@adonisjs/lucid/schema'

/** Alerts sent to the webhook: failed backups, missing snapshots, overdue schedules, tests. */
export default class extends BaseSchema {
  protected tableName = 'alerts'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('id', 36).primary()
      table.string('kind', 32).notNullable()
      /** Makes an event alert once; cleared when the condition ends (a snapshot reappears). */
      table.string('dedupe_key', 255).nullable().unique()
      table.string('title', 255).notNullable()
      table.text('message').notNullable()
      table.string('instance_id', 36).nullable()
      table.string('resource_id', 36).nullable()
      table.string('job_id', 36).nullable()
      table.string('snapshot_id', 36).nullable()
      table.string('schedule_id', 36).nullable()
      /** pending, sent, failed (every attempt failed) or skipped (no webhook set). */
      table.string('status', 16).notNullable()
      table.integer('attempts').notNullable().defaultTo(0)
      table.text('last_error').nullable()
      table.timestamp('sent_at').nullable()

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
      table.index(['created_at'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
