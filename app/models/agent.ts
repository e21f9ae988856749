import { belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { DateTime } from 'luxon'
import { UuidModel } from './uuid_model.js'
import { booleanColumn, jsonColumn } from './json_column.js'
import Server from './server.js'

/** A mount of a container, as an agent reports it. */
export interface InventoryMount {
  type: string
  name?: string
  source?: string
  destination: string
  readWrite: boolean
}

/** The containers and volumes of an agent's host, from its last heartbeat. */
export interface Inventory {
  containers: {
    id: string
    name: string
    image: string
    state: string
    labels: Record<string, string>
    mounts: InventoryMount[]
  }[]
  volumes: { name: string; driver: string; mountpoint: string; labels: Record<string, string> }[]
}

/** Heartbeats missed before an agent counts as offline. */
const MISSED_HEARTBEATS_OFFLINE = 3

/** An agent on a Docker host; its identity is its bearer token. */
export default class Agent extends UuidModel {
  @column()
  declare instanceId: string

  @column()
  declare serverId: string | null

  @booleanColumn()
  declare serverPinned: boolean

  @column({ serializeAs: null })
  declare tokenHash: string

  @column()
  declare hostname: string

  @column()
  declare agentVersion: string | null

  @column()
  declare dockerVersion: string | null

  @column()
  declare concurrency: number

  @column()
  declare heartbeatSeconds: number

  @jsonColumn()
  declare inventory: Inventory | null

  @column.dateTime()
  declare lastSeenAt: DateTime | null

  @column.dateTime()
  declare revokedAt: DateTime | null

  @belongsTo(() => Server)
  declare server: BelongsTo<typeof Server>

  /** Whether the agent sent a heartbeat within three of its intervals and is not revoked. */
  get isOnline() {
    if (this.revokedAt || !this.lastSeenAt) {
      return false
    }
    const window = this.heartbeatSeconds * MISSED_HEARTBEATS_OFFLINE
    return DateTime.now().diff(this.lastSeenAt, 'seconds').seconds <= window
  }

  /** The cut-off time: agents seen after it are online. */
  static onlineSince(heartbeatSeconds = 15) {
    return DateTime.now().minus({ seconds: heartbeatSeconds * MISSED_HEARTBEATS_OFFLINE })
  }
}
