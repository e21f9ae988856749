import { column } from '@adonisjs/lucid/orm'
import type { DateTime } from 'luxon'
import { UuidModel } from './uuid_model.js'
import { booleanColumn, jsonColumn } from './json_column.js'

/** Snapshots to keep per calendar bucket; 0 keeps none of that bucket. */
export interface RetentionPolicy {
  daily: number
  weekly: number
  monthly: number
  yearly: number
}

export type ScheduleScope = 'resource' | 'server' | 'instance'

export type ScheduleMode = 'versioned' | 'sync'

/** A cron schedule of backups for a resource, a server or an instance, with its retention. */
export default class Schedule extends UuidModel {
  @column()
  declare name: string

  @column()
  declare scopeType: ScheduleScope

  @column()
  declare scopeId: string

  @column()
  declare destinationId: string

  @column()
  declare cron: string

  @column()
  declare mode: ScheduleMode

  @jsonColumn()
  declare retention: RetentionPolicy

  @booleanColumn()
  declare enabled: boolean

  @column.dateTime()
  declare lastSlotAt: DateTime | null
}
