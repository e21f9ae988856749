import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type {
  CompleteRequest,
  HeartbeatRequest,
  JobEvent,
  LeasedJob,
} from '../../src/controller/api_types.js'
import type { TestBundle } from './test_bundle.js'

/** A job as a test queues it. The fake controller fills in the lease fields. */
export type QueuedJob = Omit<
  LeasedJob,
  'id' | 'attempt' | 'leaseExpiresAt' | 'leaseSeconds' | 'timeoutSeconds'
> &
  Partial<Pick<LeasedJob, 'id' | 'leaseSeconds' | 'timeoutSeconds'>>

interface JobRecord {
  job: LeasedJob
  state: 'queued' | 'leased' | 'done'
  cancelRequested: boolean
  events: JobEvent[]
  renewals: number
  completion?: CompleteRequest
  uploaded?: Buffer
  waiters: Array<(completion: CompleteRequest) => void>
}

/**
 * A controller for the agent's tests that follows the agent API (docs/agent-api.md) on
 * 127.0.0.1: enrollment, heartbeats, long-poll leases, renewals, events, completion, uploads and
 * engine downloads. It keeps every request body so tests can check what the agent sent.
 */
export class FakeController {
  readonly enrollmentToken = randomBytes(16).toString('hex')
  readonly enrollments: Array<{ hostname: string; agentVersion: string; agentId: string }> = []
  readonly heartbeats: HeartbeatRequest[] = []
  readonly bundles = new Map<string, { bytes: Buffer; signatureText: string }>()
  /** Bundle downloads per digest. */
  readonly bundleDownloads = new Map<string, number>()
  readonly jobs = new Map<string, JobRecord>()
  heartbeatSeconds = 1
  /** Highest number of jobs leased and not yet completed at the same time. */
  maxLeasedAtOnce = 0
  #tokens = new Set<string>()
  #queue: string[] = []
  #leaseWaiters: Array<() => void> = []
  #heartbeatWaiters: Array<() => void> = []
  #server: Server
  url = ''

  constructor() {
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error) => {
        response.statusCode = 500
        response.end(JSON.stringify({ error: { code: 'TEST_SERVER', message: String(error) } }))
      })
    })
  }

  /** Starts listening on a free port of 127.0.0.1. */
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  /** Stops the server and releases waiting lease requests. */
  async stop(): Promise<void> {
    for (const wake of this.#leaseWaiters.splice(0)) {
      wake()
    }

    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  /** Serves a bundle under its digest (or under `digest` to serve altered bytes). */
  addBundle(
    bundle: TestBundle,
    bytes = bundle.bytes,
    digest = bundle.digest,
    signatureText = bundle.signatureText
  ): void {
    this.bundles.set(digest, { bytes, signatureText })
  }

  /** Revokes every token issued so far. */
  revokeTokens(): void {
    this.#tokens.clear()
  }

  /** Queues a job and returns its id. */
  queueJob(queued: QueuedJob): string {
    const id = queued.id ?? randomUUID()
    const leaseSeconds = queued.leaseSeconds ?? 6
    const job: LeasedJob = {
      ...queued,
      id,
      attempt: 1,
      leaseSeconds,
      timeoutSeconds: queued.timeoutSeconds ?? 600,
      leaseExpiresAt: '',
    }
    this.jobs.set(id, {
      job,
      state: 'queued',
      cancelRequested: false,
      events: [],
      renewals: 0,
      waiters: [],
    })
    this.#queue.push(id)
    for (const wake of this.#leaseWaiters.splice(0)) {
      wake()
    }
    return id
  }

  /** Resolves with the job's completion once the agent reports it. */
  completion(jobId: string, timeoutMs = 60_000): Promise<CompleteRequest> {
    const record = this.#record(jobId)
    if (record.completion) {
      return Promise.resolve(record.completion)
    }

    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`job ${jobId} did not complete within ${timeoutMs} ms`)),
        timeoutMs
      )
      record.waiters.push((completion) => {
        clearTimeout(timer)
        resolve(completion)
      })
    })
  }

  /** Marks a job for cancellation, which renewals and heartbeats then report. */
  cancel(jobId: string): void {
    this.#record(jobId).cancelRequested = true
  }

  /** Resolves after the next heartbeat arrives. */
  nextHeartbeat(timeoutMs = 30_000): Promise<HeartbeatRequest> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no heartbeat within ${timeoutMs} ms`)),
        timeoutMs
      )
      this.#heartbeatWaiters.push(() => {
        clearTimeout(timer)
        resolve(this.heartbeats.at(-1)!)
      })
    })
  }

  /** Returns a job's recorded state. */
  record(jobId: string): JobRecord {
    return this.#record(jobId)
  }

  #record(jobId: string): JobRecord {
    const record = this.jobs.get(jobId)
    if (!record) {
      throw new Error(`unknown job ${jobId}`)
    }
    return record
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const body = await readBody(request)
    const path = url.pathname

    if (request.method === 'POST' && path === '/api/agent/enroll') {
      const input = JSON.parse(body.toString('utf8'))
      if (input.enrollmentToken !== this.enrollmentToken) {
        return send(response, 401, {
          error: { code: 'INVALID_ENROLLMENT_TOKEN', message: 'unknown enrollment token' },
        })
      }

      const token = randomBytes(24).toString('base64url')
      const agentId = randomUUID()
      this.#tokens.add(token)
      this.enrollments.push({ hostname: input.hostname, agentVersion: input.agentVersion, agentId })
      return send(response, 201, { agentId, token })
    }

    const auth = request.headers.authorization ?? ''
    if (!auth.startsWith('Bearer ') || !this.#tokens.has(auth.slice(7))) {
      return send(response, 401, {
        error: { code: 'UNAUTHORIZED', message: 'missing, unknown or revoked token' },
      })
    }

    if (request.method === 'POST' && path === '/api/agent/heartbeat') {
      this.heartbeats.push(JSON.parse(body.toString('utf8')))
      for (const wake of this.#heartbeatWaiters.splice(0)) {
        wake()
      }
      const cancelJobs = [...this.jobs.values()]
        .filter((record) => record.state === 'leased' && record.cancelRequested)
        .map((record) => record.job.id)
      return send(response, 200, {
        serverTime: new Date().toISOString(),
        cancelJobs,
        heartbeatSeconds: this.heartbeatSeconds,
      })
    }

    if (request.method === 'POST' && path === '/api/agent/lease') {
      const input = JSON.parse(body.toString('utf8'))
      const deadline = Date.now() + Math.min(30, input.waitSeconds ?? 25) * 1000
      // A client that gave up waiting (an agent that stopped) must not be handed a job.
      let closed = false
      response.on('close', () => (closed = true))
      while (this.#queue.length === 0 && Date.now() < deadline && !closed) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, deadline - Date.now())
          this.#leaseWaiters.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }

      const id = closed ? undefined : this.#queue.shift()
      if (id === undefined) {
        response.statusCode = 204
        return void response.end()
      }

      const record = this.#record(id)
      record.state = 'leased'
      const leased = [...this.jobs.values()].filter((entry) => entry.state === 'leased').length
      this.maxLeasedAtOnce = Math.max(this.maxLeasedAtOnce, leased)
      record.job.leaseExpiresAt = new Date(
        Date.now() + record.job.leaseSeconds * 1000
      ).toISOString()
      return send(response, 200, { job: record.job })
    }

    const jobMatch = /^\/api\/agent\/jobs\/([^/]+)\/(renew|events|complete|upload)$/.exec(path)
    if (jobMatch) {
      const record = this.jobs.get(decodeURIComponent(jobMatch[1]))
      if (!record) {
        return send(response, 404, { error: { code: 'NOT_FOUND', message: 'unknown job' } })
      }

      if (record.state !== 'leased') {
        return send(response, 409, {
          error: { code: 'NOT_LEASED', message: 'the job is not leased by this agent' },
        })
      }

      switch (jobMatch[2]) {
        case 'renew':
          record.renewals += 1
          return send(response, 200, {
            leaseExpiresAt: new Date(Date.now() + record.job.leaseSeconds * 1000).toISOString(),
            cancelRequested: record.cancelRequested,
          })
        case 'events':
          record.events.push(...JSON.parse(body.toString('utf8')).events)
          response.statusCode = 204
          return void response.end()
        case 'upload':
          record.uploaded = body
          response.statusCode = 204
          return void response.end()
        case 'complete':
          record.completion = JSON.parse(body.toString('utf8'))
          record.state = 'done'
          for (const waiter of record.waiters.splice(0)) {
            waiter(record.completion!)
          }
          response.statusCode = 204
          return void response.end()
      }
    }

    const engineMatch = /^\/api\/agent\/engines\/([0-9a-f]+)(\/signature)?$/.exec(path)
    if (request.method === 'GET' && engineMatch) {
      const bundle = this.bundles.get(engineMatch[1])
      if (!bundle) {
        return send(response, 404, {
          error: { code: 'NOT_FOUND', message: 'unknown engine digest' },
        })
      }

      if (engineMatch[2]) {
        return send(response, 200, JSON.parse(bundle.signatureText))
      }

      this.bundleDownloads.set(engineMatch[1], (this.bundleDownloads.get(engineMatch[1]) ?? 0) + 1)
      response.writeHead(200, { 'content-type': 'application/octet-stream' })
      return void response.end(bundle.bytes)
    }

    return send(response, 404, {
      error: { code: 'NOT_FOUND', message: `no route ${request.method} ${path}` },
    })
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify(body))
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of request) {
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}
