import { column } from '@adonisjs/lucid/orm'
import type { DateTime } from 'luxon'
import { UuidModel } from './uuid_model.js'
import { jsonColumn } from './json_column.js'

export type DestinationKind = 'local' | 'sftp' | 's3'

/** Where backups land, with the engine that writes them. Secrets are vault envelopes. */
export default class Destination extends UuidModel {
  @column()
  declare name: string

  @column()
  declare kind: DestinationKind

  @jsonColumn()
  declare config: Record<string, any>

  @column({ serializeAs: null })
  declare secrets: string | null

  @column()
  declare engineId: string

  @jsonColumn()
  declare engineOptions: Record<string, any>

  @column({ serializeAs: null })
  declare engineSecrets: string | null

  @column.dateTime()
  declare lastTestedAt: DateTime | null

  @jsonColumn()
  declare lastTestResult: Record<string, any> | null

  /** Snapshots the last reconciliation found at the destination without a record in Coffer. */
  @jsonColumn()
  declare unrecordedSnapshots: UnrecordedSnapshot[] | null

  @column.dateTime()
  declare unrecordedCheckedAt: DateTime | null
}

/** A snapshot found at a destination that Coffer did not record, as the engine listed it. */
export interface UnrecordedSnapshot {
  id: string | null
  engineSnapshotId: string | null
  time: string
}
