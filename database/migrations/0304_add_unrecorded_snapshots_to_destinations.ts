import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Snapshots an agent found at a destination during reconciliation that Coffer has no record of,
 * such as ones another controller wrote. They are reported on the destination page and never
 * touched.
 */
export default class extends BaseSchema {
  protected tableName = 'destinations'

  async up() {
    this.schema.alterTable(this.tableName, (table) => {
      /** JSON list of `{ id, engineSnapshotId, time }`. */
      table.text('unrecorded_snapshots').nullable()
      table.timestamp('unrecorded_checked_at').nullable()
    })
  }

  async down() {
    this.schema.alterTable(this.tableName, (table) => {
      table.dropColumn('unrecorded_snapshots')
      table.dropColumn('unrecorded_checked_at')
    })
  }
}
