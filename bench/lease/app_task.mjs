// Boots the Coffer application in console mode (as bin/console.ts does, without ace) to seed or
// check the lease benchmark's database through the app's own models and services.
// Run with the TypeScript loader, from the repository root:
//   node --import @poppinss/ts-exec bench/lease/app_task.mjs seed <agents> <jobs> <tokens file>
//   node --import @poppinss/ts-exec bench/lease/app_task.mjs check <leases file>
// The database is the one the environment selects (DB_CONNECTION, SQLITE_PATH, PG_*).
import 'reflect-metadata'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { Ignitor } from '@adonisjs/core'

const APP_ROOT = new URL('../../', import.meta.url)

/** Resolves relative module paths against the application root, like bin/importer.ts. */
function importer(filePath) {
  if (filePath.startsWith('./') || filePath.startsWith('../')) {
    return import(new URL(filePath, APP_ROOT).href)
  }

  return import(filePath)
}

/**
 * Creates one Coolify instance with one server, enrolls `agents` agents through enrollAgent and
 * assigns them all to that server, so every agent competes for every job. Then queues `jobs`
 * verify jobs for the server through enqueueJob. Writes the agents' ids and bearer tokens to
 * `tokensFile` (mode 0600).
 */
async function seed(agents, jobs, tokensFile) {
  const { DateTime } = await import('luxon')
  const { default: Instance } = await import('#models/instance')
  const { default: Server } = await import('#models/server')
  const { hashToken } = await import('#services/tokens')
  const { enrollAgent } = await import('#services/agents/enroll_agent')
  const { enqueueJob } = await import('#services/jobs/enqueue_job')

  const enrollmentToken = `coffer_enroll_${randomBytes(24).toString('hex')}`
  const instance = await Instance.create({
    name: 'lease benchmark',
    kind: 'coolify',
    coolifyUrl: 'http://127.0.0.1:9',
    enrollmentTokenHash: hashToken(enrollmentToken),
  })
  const server = await Server.create({ instanceId: instance.id, name: 'lease-benchmark-server' })

  let started = performance.now()
  const credentials = []
  for (let index = 0; index < agents; index++) {
    const { agent, token } = await enrollAgent({
      enrollmentToken,
      hostname: `bench-agent-${index}`,
      agentVersion: '0.1.0',
    })
    agent.serverId = server.id
    agent.lastSeenAt = DateTime.now()
    await agent.save()
    credentials.push({ id: agent.id, token })
  }
  const enrollSeconds = (performance.now() - started) / 1000

  started = performance.now()
  for (let index = 0; index < jobs; index++) {
    const job = await enqueueJob({ kind: 'verify', payload: { bench: index }, serverId: server.id })
    if (job.status !== 'queued') {
      throw new Error(`job ${job.id} was not queued: ${JSON.stringify(job.error)}`)
    }
  }
  const enqueueSeconds = (performance.now() - started) / 1000

  writeFileSync(tokensFile, JSON.stringify(credentials), { mode: 0o600 })
  console.log(JSON.stringify({ enrollSeconds, enqueueSeconds, agents: credentials.length, jobs }))
}

/**
 * Compares the leases the clients received (job id and agent id pairs) with the jobs table:
 * every leased job went to exactly one client, to the agent the table names, on its first
 * attempt.
 */
async function check(leasesFile) {
  const { default: Job } = await import('#models/job')
  const received = JSON.parse(readFileSync(leasesFile, 'utf8'))
  const problems = []

  const byJob = new Map()
  for (const lease of received) {
    if (byJob.has(lease.jobId)) {
      problems.push(
        `job ${lease.jobId} was leased to ${byJob.get(lease.jobId)} and ${lease.agentId}`
      )
    }
    byJob.set(lease.jobId, lease.agentId)
  }

  const jobs = await Job.query().where('kind', 'verify')
  let leasedInTable = 0
  let queued = 0
  for (const job of jobs) {
    if (job.status === 'queued') {
      queued++
      continue
    }

    leasedInTable++
    if (byJob.get(job.id) !== job.leasedBy) {
      problems.push(
        `job ${job.id} is leased by ${job.leasedBy} in the table, but the client got ${byJob.get(job.id)}`
      )
    }
    if (job.attempt !== 1) {
      problems.push(`job ${job.id} has attempt ${job.attempt}, expected 1`)
    }
  }

  if (leasedInTable !== byJob.size) {
    problems.push(
      `${leasedInTable} jobs are leased in the table, but clients received ${byJob.size}`
    )
  }

  console.log(
    JSON.stringify({
      jobs: jobs.length,
      leasedInTable,
      queued,
      received: received.length,
      problems,
    })
  )
}

const [task, ...args] = process.argv.slice(2)
const app = new Ignitor(APP_ROOT, { importer }).createApp('console')
app.booting(async () => {
  await import('#start/env')
})
await app.init()
await app.boot()
await app.start(async () => {})

try {
  if (task === 'seed') {
    await seed(Number(args[0]), Number(args[1]), args[2])
  } else if (task === 'check') {
    await check(args[0])
  } else {
    throw new Error(`unknown task "${task}"; use seed or check`)
  }
} finally {
  await app.terminate()
}
