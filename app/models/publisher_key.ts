import { column } from '@adonisjs/lucid/orm'
import { UuidModel } from './uuid_model.js'

/** An engine publisher key an admin accepted. */
export default class PublisherKey extends UuidModel {
  @column()
  declare name: string

  @column()
  declare keyId: string

  @column()
  declare publicKey: string
}
