import vine from '@vinejs/vine'

/** POST /api/agent/enroll */
export const enrollValidator = vine.create({
  enrollmentToken: vine.string().trim().minLength(16).maxLength(256),
  hostname: vine.string().trim().minLength(1).maxLength(255),
  agentVersion: vine.string().trim().maxLength(64),
})

const mountSchema = vine.object({
  type: vine.string().maxLength(32),
  name: vine.string().maxLength(1024).optional(),
  source: vine.string().maxLength(4096).optional(),
  destination: vine.string().maxLength(4096),
  readWrite: vine.boolean(),
})

/** POST /api/agent/heartbeat */
export const heartbeatValidator = vine.create({
  agentVersion: vine.string().trim().maxLength(64),
  dockerVersion: vine.string().trim().maxLength(64).nullable().optional(),
  concurrency: vine.number().withoutDecimals().min(1).max(64),
  runningJobs: vine.array(vine.string().uuid()).maxLength(64),
  inventory: vine.object({
    containers: vine
      .array(
        vine.object({
          id: vine.string().maxLength(128),
          name: vine.string().maxLength(255),
          image: vine.string().maxLength(1024),
          state: vine.string().maxLength(32),
          labels: vine.record(vine.string().maxLength(4096)),
          mounts: vine.array(mountSchema).maxLength(256),
        })
      )
      .maxLength(5000),
    volumes: vine
      .array(
        vine.object({
          name: vine.string().maxLength(1024),
          driver: vine.string().maxLength(128),
          mountpoint: vine.string().maxLength(4096),
          labels: vine.record(vine.string().maxLength(4096)),
        })
      )
      .maxLength(5000),
  }),
  rejectedEngines: vine
    .array(
      vine.object({
        digest: vine.string().regex(/^[0-9a-f]{64}$/),
        reason: vine.string().maxLength(2000),
        code: vine.string().maxLength(64).optional(),
      })
    )
    .maxLength(64)
    .optional(),
})

/** POST /api/agent/lease */
export const leaseValidator = vine.create({
  capacity: vine.number().withoutDecimals().min(1).max(64),
  waitSeconds: vine.number().min(0).max(30).optional(),
})

/** POST /api/agent/jobs/:id/events */
export const jobEventsValidator = vine.create({
  events: vine
    .array(
      vine.object({
        type: vine.enum(['log', 'progress']),
        level: vine.enum(['debug', 'info', 'warn', 'error']).optional(),
        message: vine.string().maxLength(8000).optional(),
        phase: vine.string().maxLength(64).optional(),
        bytesDone: vine.number().min(0).optional(),
        bytesTotal: vine.number().min(0).optional(),
        filesDone: vine.number().min(0).optional(),
        filesTotal: vine.number().min(0).optional(),
        at: vine.string().maxLength(64).optional(),
      })
    )
    .maxLength(1000),
})

/** POST /api/agent/jobs/:id/complete */
export const completeJobValidator = vine.create({
  status: vine.enum(['succeeded', 'succeeded_with_warnings', 'failed', 'cancelled']),
  result: vine.any().optional(),
  error: vine
    .object({
      code: vine.string().maxLength(64),
      message: vine.string().maxLength(8000),
      cause: vine.string().maxLength(8000).optional(),
    })
    .nullable()
    .optional(),
})
