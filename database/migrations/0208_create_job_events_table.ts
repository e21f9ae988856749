import { BaseSchema } from '@adonisjs/lucid/schema'

/** Log lines and progress of a job, kept after it ends. */
export default class extends BaseSchema {
  protected tableName = 'job_events'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table.string('job_id', 36).notNullable().references('jobs.id').onDelete('CASCADE')
      table.string('type', 16).notNullable()
      table.string('level', 16).nullable()
      table.text('message').nullable()
      /** Progress fields, as JSON. */
      table.text('data').nullable()
      table.timestamp('at').notNullable()
      table.index(['job_id', 'id'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
