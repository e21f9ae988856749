import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Destination from '#models/destination'
import Instance from '#models/instance'
import Schedule, { type RetentionPolicy } from '#models/schedule'
import Snapshot, { type SnapshotStatus } from '#models/snapshot'
import { writeDestinationSecrets } from '#services/destinations/destination_secrets'
import { writeCoolifyToken } from '#services/instances/coolify_token'
import { rotateEnrollmentToken } from '#services/instances/rotate_enrollment_token'
import { enrollAgent } from '#services/agents/enroll_agent'
import { toDbTime } from '#services/db_time'
import { registerTestEngine } from '#tests/helpers/engine_fixtures'
import type { FakeCoolify } from '#tests/helpers/fake_coolify'

/** Creates a local destination of the test engine. */
export async function createLocalDestination(name = 'Local') {
  await registerTestEngine()
  const destination = new Destination()
  destination.fill({
    id: crypto.randomUUID(),
    name,
    kind: 'local',
    config: { kind: 'local', path: '/backups/coffer' },
    engineId: 'test/archive',
    engineOptions: {},
  })
  writeDestinationSecrets(destination, 'secrets', {})
  writeDestinationSecrets(destination, 'engine_secrets', {})
  await destination.save()
  return destination
}

/** Creates a Coolify instance connected to a fake Coolify API. */
export async function createCoolifyInstance(fake: FakeCoolify, token = fake.token) {
  const instance = await Instance.create({
    name: 'acme-coolify',
    kind: 'coolify',
    coolifyUrl: fake.url,
  })
  writeCoolifyToken(instance, token)
  await instance.save()
  return instance
}

/** Enrolls an online agent on an instance and returns it with its bearer token. */
export async function enrollOnlineAgent(instance: Instance, hostname: string) {
  const enrollmentToken = await rotateEnrollmentToken(instance)
  const { agent, token } = await enrollAgent({ enrollmentToken, hostname, agentVersion: '0.1.0' })
  agent.lastSeenAt = DateTime.now()
  await agent.save()
  return { agent, token }
}

/** Creates an enabled schedule whose creation time is `createdAt` on the test clock. */
export async function createSchedule(fields: {
  scopeType: Schedule['scopeType']
  scopeId: string
  destinationId: string
  cron: string
  createdAt: DateTime
  mode?: Schedule['mode']
  retention?: RetentionPolicy
  name?: string
}) {
  const schedule = await Schedule.create({
    name: fields.name ?? 'nightly',
    scopeType: fields.scopeType,
    scopeId: fields.scopeId,
    destinationId: fields.destinationId,
    cron: fields.cron,
    mode: fields.mode ?? 'versioned',
    retention: fields.retention ?? { daily: 7, weekly: 4, monthly: 6, yearly: 1 },
    enabled: true,
    lastSlotAt: null,
  })
  await db
    .from('schedules')
    .where('id', schedule.id)
    .update({ created_at: toDbTime(fields.createdAt.toLocal()) })
  return Schedule.findOrFail(schedule.id)
}

/** Records a snapshot as a finished backup would, at a chosen time. */
export async function recordSnapshot(fields: {
  resourceId: string
  destinationId: string
  agentId?: string | null
  startedAt: DateTime
  status: SnapshotStatus
  volume?: string
}) {
  const id = crypto.randomUUID()
  const good = fields.status === 'succeeded' || fields.status === 'succeeded_with_warnings'
  return Snapshot.create({
    id,
    resourceId: fields.resourceId,
    destinationId: fields.destinationId,
    agentId: fields.agentId ?? null,
    volume: fields.volume ?? 'app-data',
    engineId: 'test/archive',
    engineVersion: '1.0.0',
    status: fields.status,
    artifacts: good
      ? [
          {
            key: `snapshots/${id}/archive.tar.zst`,
            size: 10,
            sha256: 'a'.repeat(64),
            role: 'archive',
          },
        ]
      : [],
    sizeBytes: good ? 10 : 0,
    startedAt: fields.startedAt.toLocal(),
    finishedAt: fields.startedAt.plus({ minutes: 1 }).toLocal(),
  } as any)
}
