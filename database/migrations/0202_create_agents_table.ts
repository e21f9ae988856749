import { BaseSchema } from '@adonisjs/lucid/schema'

/** Agents, one per Docker host. An agent is its bearer token, stored as a sha256 hash. */
export default class extends BaseSchema {
  protected tableName = 'agents'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('id', 36).primary()
      table.string('instance_id', 36).notNullable().references('instances.id').onDelete('CASCADE')
      table.string('server_id', 36).nullable().references('servers.id').onDelete('SET NULL')
      /** True when an admin chose the server; heartbeats then leave it alone. */
      table.boolean('server_pinned').notNullable().defaultTo(false)
      table.string('token_hash', 64).notNullable().unique()
      table.string('hostname', 255).notNullable()
      table.string('agent_version', 64).nullable()
      table.string('docker_version', 64).nullable()
      table.integer('concurrency').notNullable().defaultTo(1)
      table.integer('heartbeat_seconds').notNullable().defaultTo(15)
      /** The containers and volumes of the last heartbeat, as JSON. */
      table.text('inventory').nullable()
      table.timestamp('last_seen_at').nullable()
      table.timestamp('revoked_at').nullable()

      table.timestamp('created_at').notNullable()
      table.timestamp('updated_at').nullable()
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
