import { belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import type { DateTime } from 'luxon'
import { UuidModel } from './uuid_model.js'
import { booleanColumn, jsonColumn } from './json_column.js'
import Server from './server.js'

/** A named Docker volume or a bind-mounted host folder that a resource uses. */
export type ResourceVolume =
  | { type: 'volume'; name: string; mountPath?: string }
  | { type: 'bind'; source: string; mountPath?: string }

/** Commands run in a container before and after a backup. */
export interface ResourceHook {
  container: string
  pre?: string[]
  post?: string[]
}

/** Something to back up: a Coolify resource, or a volume or bind mount of a Docker host. */
export default class Resource extends UuidModel {
  @column()
  declare instanceId: string

  @column()
  declare serverId: string | null

  @column()
  declare name: string

  @column()
  declare kind: string

  @column()
  declare externalKey: string

  @column()
  declare coolifyId: number | null

  /** Coolify's type: application, service or standalone-<engine>. */
  @column()
  declare coolifyType: string | null

  @column()
  declare status: string | null

  @jsonColumn()
  declare volumes: ResourceVolume[]

  @booleanColumn()
  declare backupEnabled: boolean

  @booleanColumn()
  declare liveMode: boolean

  @jsonColumn()
  declare hooks: ResourceHook[] | null

  @column.dateTime()
  declare missingAt: DateTime | null

  @belongsTo(() => Server)
  declare server: BelongsTo<typeof Server>
}

/** Returns a readable label of a volume: its name, or the host path of a bind mount. */
export function volumeLabel(volume: ResourceVolume) {
  return volume.type === 'volume' ? volume.name : volume.source
}
