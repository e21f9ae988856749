import { BaseSchema } from '@adonisjs/lucid/schema'

/** One backup of one volume at one destination. */
export default class extends BaseSchema {
  protected tableName = 'snapshots'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('id', 36).primary()
      table.string('resource_id', 36).nullable().references('resources.id').onDelete('SET NULL')
      table.string('destination_id', 36).notNullable().references('destinations.id')
      table.string('job_id', 36).nullable().references('jobs.id').onDelete('SET NULL')
      /** The agent that wrote it; local destinations are per agent host. */
      table.string('agent_id', 36).nullable().references('agents.id').onDelete('SET NULL')
      /** The volume name or bind source it holds. */
      table.string('volume', 1024).notNullable()
      table.string('engine_id', 214).notNullable()
      table.string('engine_version', 64).notNullable()
      table.string('engine_snapshot_id', 255).nullable()
      table
        .enum('status', [
          'running',
          'succeeded',
          'succeeded_with_warnings',
          'failed',
          'missing',
          'deleting',
        ])
        .notNullable()
      /** The artifacts, as JSON. */
      table.text('artifacts').notNullable()
      /** Counts and sizes, as JSON. */
      table.text('stats').nullable()
      table.text('warnings').nullable()
      table.bigInteger('size_bytes').notNullable().defaultTo(0)
      table.text('error').nullable()
      table.timestamp('started_at').notNullable()
      table.timestamp('finished_at').nullable()
      table.timestamp('verified_at').nullable()

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
      table.index(['resource_id', 'started_at'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
