import { BaseSchema } from '@adonisjs/lucid/schema'

/** Docker hosts of an instance. Each backup and restore runs on an agent of the resource's server. */
export default class extends BaseSchema {
  protected tableName = 'servers'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('id', 36).primary()
      table.string('instance_id', 36).notNullable().references('instances.id').onDelete('CASCADE')
      table.string('name', 255).notNullable()
      /** Coolify's server uuid, for Coolify instances. */
      table.string('coolify_uuid', 64).nullable()
      table.string('ip', 255).nullable()
      table.timestamp('missing_at').nullable()

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
      table.unique(['instance_id', 'coolify_uuid'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
