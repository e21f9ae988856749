import { BaseSchema } from '@adonisjs/lucid/schema'

/** Work for agents: backups, restores, deletions, verifications, file listings and downloads. */
export default class extends BaseSchema {
  protected tableName = 'jobs'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('id', 36).primary()
      table.string('kind', 32).notNullable()
      table
        .enum('status', [
          'queued',
          'leased',
          'running',
          'succeeded',
          'succeeded_with_warnings',
          'failed',
          'cancelled',
        ])
        .notNullable()
      table.string('resource_id', 36).nullable().references('resources.id').onDelete('SET NULL')
      table.string('destination_id', 36).nullable().references('destinations.id')
      /** The snapshot a job reads, restores or deletes; for a backup, the one it writes. */
      table.string('snapshot_id', 36).nullable()
      table.string('server_id', 36).nullable().references('servers.id').onDelete('SET NULL')
      /** The agent the job must run on, when only one may run it (for example a local destination). */
      table.string('agent_id', 36).nullable().references('agents.id').onDelete('SET NULL')
      table.string('leased_by', 36).nullable().references('agents.id').onDelete('SET NULL')
      table.timestamp('lease_expires_at').nullable()
      table.integer('attempt').notNullable().defaultTo(0)
      table.integer('max_attempts').notNullable().defaultTo(1)
      table.integer('timeout_seconds').notNullable().defaultTo(21600)
      /** Kind-specific request, as JSON. */
      table.text('payload').notNullable()
      /** What the agent reported, as JSON. */
      table.text('result').nullable()
      table.text('error').nullable()
      /** The last progress event, as JSON. */
      table.text('progress').nullable()
      table.timestamp('cancel_requested_at').nullable()
      table.string('requested_by', 255).nullable()
      table.timestamp('started_at').nullable()
      table.timestamp('finished_at').nullable()

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
      table.index(['status', 'created_at'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
