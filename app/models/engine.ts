import { column } from '@adonisjs/lucid/orm'
import { UuidModel } from './uuid_model.js'
import { jsonColumn } from './json_column.js'

/** An engine bundle known to the controller. Only accepted bundles are shipped to agents. */
export default class Engine extends UuidModel {
  @column()
  declare engineId: string

  @column()
  declare version: string

  @column()
  declare digest: string

  @column()
  declare keyId: string | null

  @column()
  declare source: 'workspace' | 'package' | 'upload'

  @column()
  declare status: 'accepted' | 'rejected'

  @column()
  declare rejectionReason: string | null

  @jsonColumn()
  declare manifest: Record<string, any> | null

  @jsonColumn()
  declare signature: Record<string, any> | null

  @column()
  declare bundlePath: string

  /** Agents that refused the bundle, with their reasons. */
  @jsonColumn()
  declare agentRefusals: EngineRefusal[] | null
}

/** One agent's refusal of a bundle. */
export interface EngineRefusal {
  agentId: string
  hostname: string
  code: string | null
  reason: string
  at: string
}
