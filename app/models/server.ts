import { column } from '@adonisjs/lucid/orm'
import type { DateTime } from 'luxon'
import { UuidModel } from './uuid_model.js'

/** A Docker host of an instance. */
export default class Server extends UuidModel {
  @column()
  declare instanceId: string

  @column()
  declare name: string

  @column()
  declare coolifyUuid: string | null

  @column()
  declare ip: string | null

  @column.dateTime()
  declare missingAt: DateTime | null
}
