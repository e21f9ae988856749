import { column } from '@adonisjs/lucid/orm'
import type { DateTime } from 'luxon'
import { UuidModel } from './uuid_model.js'

/** A source of resources: a Coolify instance or a plain Docker host. */
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
  declare enrollmentTokenRotatedAt: DateTime | null

  @column()
  declare coolifyVersion: string | null

  @column.dateTime()
  declare coolifySyncedAt: DateTime | null

  @column()
  declare coolifySyncError: string | null
}
