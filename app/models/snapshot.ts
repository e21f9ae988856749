import { belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import type { DateTime } from 'luxon'
import type { Artifact, SnapshotRef } from '@coffer/sdk'
import { UuidModel } from './uuid_model.js'
import { jsonColumn } from './json_column.js'
import Destination from './destination.js'
import Resource from './resource.js'
import Agent from './agent.js'

export type SnapshotStatus =
  'running' | 'succeeded' | 'succeeded_with_warnings' | 'failed' | 'missing' | 'deleting'

/** One backup of one volume at one destination. */
export default class Snapshot extends UuidModel {
  @column()
  declare resourceId: string | null

  @column()
  declare destinationId: string

  @column()
  declare jobId: string | null

  @column()
  declare agentId: string | null

  @column()
  declare volume: string

  @column()
  declare engineId: string

  @column()
  declare engineVersion: string

  @column()
  declare engineSnapshotId: string | null

  @column()
  declare status: SnapshotStatus

  @jsonColumn()
  declare artifacts: Artifact[]

  @jsonColumn()
  declare stats: Record<string, number> | null

  @jsonColumn()
  declare warnings: { code: string; message: string; path?: string }[] | null

  @column({ consume: (value: unknown) => Number(value) })
  declare sizeBytes: number

  @column()
  declare error: string | null

  @column.dateTime()
  declare startedAt: DateTime

  @column.dateTime()
  declare finishedAt: DateTime | null

  @column.dateTime()
  declare verifiedAt: DateTime | null

  @belongsTo(() => Resource)
  declare resource: BelongsTo<typeof Resource>

  @belongsTo(() => Destination)
  declare destination: BelongsTo<typeof Destination>

  @belongsTo(() => Agent)
  declare agent: BelongsTo<typeof Agent>

  /** Whether the snapshot can be restored. */
  get isRestorable() {
    return this.status === 'succeeded' || this.status === 'succeeded_with_warnings'
  }

  /** Returns the reference that engines take to read this snapshot. */
  toRef(): SnapshotRef {
    return {
      id: this.id,
      engineSnapshotId: this.engineSnapshotId ?? undefined,
      artifacts: this.artifacts,
    }
  }
}
