import { BaseSchema } from '@adonisjs/lucid/schema'

/** What the last Coolify sync found: the API version, when it ran and why it failed. */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('instances', (table) => {
      table.string('coolify_version', 64).nullable()
      table.timestamp('coolify_synced_at').nullable()
      table.text('coolify_sync_error').nullable()
    })

    this.schema.alterTable('resources', (table) => {
      /** Coolify's resource type: application, service or standalone-<engine>. */
      table.string('coolify_type', 64).nullable()
    })
  }

  async down() {
    this.schema.alterTable('resources', (table) => {
      table.dropColumn('coolify_type')
    })

    this.schema.alterTable('instances', (table) => {
      table.dropColumn('coolify_version')
      table.dropColumn('coolify_synced_at')
      table.dropColumn('coolify_sync_error')
    })
  }
}
