import { column, hasMany } from '@adonisjs/lucid/orm'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import { UuidModel } from './uuid_model.js'
import Agent from './agent.js'
import Resource from './resource.js'
import Server from './server.js'

/** Where resources come from: a Coolify instance or a plain Docker host. */
export default class Instance extends UuidModel {
  @column()
  declare name: string

  @column()
  declare kind: 'coolify' | 'docker'

  @column()
  declare coolifyUrl: string | null

  /** Vault envelope of the Coolify API token. */
  @column({ serializeAs: null })
  declare coolifyToken: string | null

  @column({ serializeAs: null })
  declare enrollmentTokenHash: string | null

  @column.dateTime()
  declare enrollmentTokenRotatedAt: import('luxon').DateTime | null

  @hasMany(() => Agent)
  declare agents: HasMany<typeof Agent>

  @hasMany(() => Server)
  declare servers: HasMany<typeof Server>

  @hasMany(() => Resource)
  declare resources: HasMany<typeof Resource>
}
