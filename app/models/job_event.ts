import { BaseModel, column } from '@adonisjs/lucid/orm'
import type { DateTime } from 'luxon'
import { jsonColumn } from './json_column.js'

/** A log line or progress report of a job. */
export default class JobEvent extends BaseModel {
  @column({ isPrimary: true })
  declare id: number

  @column()
  declare jobId: string

  @column()
  declare type: 'log' | 'progress'

  @column()
  declare level: string | null

  @column()
  declare message: string | null

  @jsonColumn()
  declare data: Record<string, any> | null

  @column.dateTime()
  declare at: DateTime
}
