import { belongsTo, column, hasMany } from '@adonisjs/lucid/orm'
import type { BelongsTo, HasMany } from '@adonisjs/lucid/types/relations'
import type { DateTime } from 'luxon'
import { UuidModel } from './uuid_model.js'
import { jsonColumn } from './json_column.js'
import Agent from './agent.js'
import Destination from './destination.js'
import JobEvent from './job_event.js'
import Resource from './resource.js'

export const JOB_KINDS = ['backup', 'restore', 'forget', 'verify', 'list-files', 'extract'] as const

export type JobKind = (typeof JOB_KINDS)[number]

export type JobStatus =
  'queued' | 'leased' | 'running' | 'succeeded' | 'succeeded_with_warnings' | 'failed' | 'cancelled'

/** States a job never leaves. */
export const FINAL_JOB_STATUSES: JobStatus[] = [
  'succeeded',
  'succeeded_with_warnings',
  'failed',
  'cancelled',
]

/** Work for an agent. */
export default class Job extends UuidModel {
  @column()
  declare kind: JobKind

  @column()
  declare status: JobStatus

  @column()
  declare resourceId: string | null

  @column()
  declare destinationId: string | null

  @column()
  declare snapshotId: string | null

  @column()
  declare serverId: string | null

  @column()
  declare agentId: string | null

  @column()
  declare leasedBy: string | null

  @column.dateTime()
  declare leaseExpiresAt: DateTime | null

  @column()
  declare attempt: number

  @column()
  declare maxAttempts: number

  @column()
  declare timeoutSeconds: number

  @jsonColumn()
  declare payload: Record<string, any>

  @jsonColumn()
  declare result: Record<string, any> | null

  @jsonColumn()
  declare error: { code: string; message: string; cause?: string } | null

  @jsonColumn()
  declare progress: Record<string, any> | null

  @column.dateTime()
  declare cancelRequestedAt: DateTime | null

  @column()
  declare requestedBy: string | null

  @column.dateTime()
  declare startedAt: DateTime | null

  @column.dateTime()
  declare finishedAt: DateTime | null

  @belongsTo(() => Resource)
  declare resource: BelongsTo<typeof Resource>

  @belongsTo(() => Destination)
  declare destination: BelongsTo<typeof Destination>

  @belongsTo(() => Agent, { foreignKey: 'leasedBy' })
  declare leasedAgent: BelongsTo<typeof Agent>

  @hasMany(() => JobEvent)
  declare events: HasMany<typeof JobEvent>

  get isFinal() {
    return FINAL_JOB_STATUSES.includes(this.status)
  }
}
