import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Refusals of a bundle by agents, kept apart from the controller's own verdict: an agent whose
 * host does not trust the publisher refuses the bundle, and other agents may still run it.
 */
export default class extends BaseSchema {
  protected tableName = 'engines'

  async up() {
    this.schema.alterTable(this.tableName, (table) => {
      /** JSON list of `{ agentId, hostname, code, reason, at }`. */
      table.text('agent_refusals').nullable()
    })
  }

  async down() {
    this.schema.alterTable(this.tableName, (table) => {
      table.dropColumn('agent_refusals')
    })
  }
}
