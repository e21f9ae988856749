import { column } from '@adonisjs/lucid/orm'
import type { DateTime } from 'luxon'
import { UuidModel } from './uuid_model.js'

export type AlertKind = 'backup_failed' | 'snapshot_missing' | 'schedule_overdue' | 'test'

export type AlertStatus = 'pending' | 'sent' | 'failed' | 'skipped'

/** An alert and the outcome of its webhook delivery. */
export default class Alert extends UuidModel {
  @column()
  declare kind: AlertKind

  @column()
  declare dedupeKey: string | null

  @column()
  declare title: string

  @column()
  declare message: string

  @column()
  declare instanceId: string | null

  @column()
  declare resourceId: string | null

  @column()
  declare jobId: string | null

  @column()
  declare snapshotId: string | null

  @column()
  declare scheduleId: string | null

  @column()
  declare status: AlertStatus

  @column()
  declare attempts: number

  @column()
  declare lastError: string | null

  @column.dateTime()
  declare sentAt: DateTime | null
}
