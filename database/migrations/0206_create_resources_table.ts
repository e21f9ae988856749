import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * What gets backed up: a Coolify application, database or service, or a volume or bind mount of
 * a plain Docker host.
 */
export default class extends BaseSchema {
  protected tableName = 'resources'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('id', 36).primary()
      table.string('instance_id', 36).notNullable().references('instances.id').onDelete('CASCADE')
      table.string('server_id', 36).nullable().references('servers.id').onDelete('SET NULL')
      table.string('name', 255).notNullable()
      /** application, database, service, volume, bind. */
      table.string('kind', 32).notNullable()
      /** Stable key inside the instance: a Coolify uuid, or `volume:<name>` on Docker hosts. */
      table.string('external_key', 255).notNullable()
      table.integer('coolify_id').nullable()
      table.string('status', 64).nullable()
      /** The volumes and bind mounts to copy, as JSON. */
      table.text('volumes').notNullable()
      table.boolean('backup_enabled').notNullable().defaultTo(false)
      /** Copy without pausing the containers. */
      table.boolean('live_mode').notNullable().defaultTo(false)
      /** Pre- and post-backup hooks, as JSON. */
      table.text('hooks').nullable()
      table.timestamp('missing_at').nullable()

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
      table.unique(['instance_id', 'external_key'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
