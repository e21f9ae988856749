import { column } from '@adonisjs/lucid/orm'
import type { DateTime } from 'luxon'
import { UuidModel } from './uuid_model.js'
import { jsonColumn } from './json_column.js'

/** A fired slot of a schedule, or a claimed periodic task; its run key is unique. */
export default class ScheduleRun extends UuidModel {
  @column()
  declare scheduleId: string | null

  @column()
  declare runKey: string

  @column.dateTime()
  declare slotAt: DateTime

  @column()
  declare missedSlots: number

  @jsonColumn()
  declare jobIds: string[]

  @column.dateTime()
  declare overdueAlertedAt: DateTime | null
}
