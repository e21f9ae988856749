import type { Readable } from 'node:stream'
import type {
  CompleteRequest,
  HeartbeatRequest,
  HeartbeatResponse,
  JobEvent,
  LeasedJob,
  RenewResponse,
} from './api_types.js'

/** A failed request to the controller, with its HTTP status and the controller's error code. */
export class ControllerError extends Error {
  /** HTTP status, or 0 when no response arrived (connection refused, timeout). */
  readonly status: number
  readonly code: string

  constructor(message: string, status: number, code: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ControllerError'
    this.status = status
    this.code = code
  }
}

/** Largest engine bundle the agent downloads. */
export const MAX_BUNDLE_BYTES = 256 * 1024 * 1024

const REQUEST_TIMEOUT_MS = 30_000
const DOWNLOAD_TIMEOUT_MS = 300_000

/**
 * Client of the controller's agent API. Every route except enrollment sends the agent's bearer
 * token, and errors become `ControllerError` with the status and the controller's error code.
 */
export class ControllerClient {
  readonly baseUrl: URL
  #token: string | undefined

  constructor(baseUrl: URL, token?: string) {
    this.baseUrl = baseUrl
    this.#token = token
  }

  /** Sets the bearer token used from now on. */
  setToken(token: string): void {
    this.#token = token
  }

  /** Exchanges an enrollment token for the agent's own id and bearer token. */
  async enroll(body: { enrollmentToken: string; hostname: string; agentVersion: string }) {
    const response = await this.#request('POST', '/api/agent/enroll', { body, auth: false })
    return (await response.json()) as { agentId: string; token: string }
  }

  /** Sends a heartbeat and returns the jobs to cancel and the interval to use. */
  async heartbeat(body: HeartbeatRequest): Promise<HeartbeatResponse> {
    const response = await this.#request('POST', '/api/agent/heartbeat', { body })
    return (await response.json()) as HeartbeatResponse
  }

  /** Long-polls for a job, or returns null when none was queued within `waitSeconds`. */
  async lease(
    capacity: number,
    waitSeconds: number,
    signal?: AbortSignal
  ): Promise<LeasedJob | null> {
    const response = await this.#request('POST', '/api/agent/lease', {
      body: { capacity, waitSeconds },
      timeoutMs: (waitSeconds + 15) * 1000,
      signal,
    })
    if (response.status === 204) {
      return null
    }

    const body = (await response.json()) as { job?: LeasedJob }
    return body.job ?? null
  }

  /** Renews a job's lease. Raises `ControllerError` with status 409 when the lease is lost. */
  async renew(jobId: string): Promise<RenewResponse> {
    const response = await this.#request(
      'POST',
      `/api/agent/jobs/${encodeURIComponent(jobId)}/renew`,
      { body: {} }
    )
    return (await response.json()) as RenewResponse
  }

  /** Sends a batch of log and progress events of a job. */
  async sendEvents(jobId: string, events: JobEvent[]): Promise<void> {
    const response = await this.#request(
      'POST',
      `/api/agent/jobs/${encodeURIComponent(jobId)}/events`,
      {
        body: { events },
      }
    )
    await response.body?.cancel()
  }

  /** Reports a job's final status and result. */
  async complete(jobId: string, body: CompleteRequest): Promise<void> {
    const response = await this.#request(
      'POST',
      `/api/agent/jobs/${encodeURIComponent(jobId)}/complete`,
      { body }
    )
    await response.body?.cancel()
  }

  /** Uploads a tar stream for an `extract` job. */
  async upload(jobId: string, stream: Readable, signal?: AbortSignal): Promise<void> {
    const response = await this.#request(
      'PUT',
      `/api/agent/jobs/${encodeURIComponent(jobId)}/upload`,
      {
        stream,
        contentType: 'application/x-tar',
        timeoutMs: 0,
        signal,
      }
    )
    await response.body?.cancel()
  }

  /** Downloads an engine bundle by its sha256, rejecting one larger than `MAX_BUNDLE_BYTES`. */
  async downloadBundle(digest: string): Promise<Buffer> {
    const response = await this.#request(
      'GET',
      `/api/agent/engines/${encodeURIComponent(digest)}`,
      {
        timeoutMs: DOWNLOAD_TIMEOUT_MS,
      }
    )
    return readLimited(response, MAX_BUNDLE_BYTES, `engine bundle ${digest}`)
  }

  /** Downloads the detached signature of an engine bundle, as text. */
  async downloadSignature(digest: string): Promise<string> {
    const response = await this.#request(
      'GET',
      `/api/agent/engines/${encodeURIComponent(digest)}/signature`
    )
    return (
      await readLimited(response, 64 * 1024, `signature of engine bundle ${digest}`)
    ).toString('utf8')
  }

  async #request(
    method: string,
    path: string,
    options: {
      body?: unknown
      stream?: Readable
      contentType?: string
      auth?: boolean
      timeoutMs?: number
      signal?: AbortSignal
    } = {}
  ): Promise<Response> {
    // Joined as text: resolving `//api/...` against the base would turn `api` into a host name.
    const url = new URL(this.baseUrl.origin + this.baseUrl.pathname.replace(/\/+$/, '') + path)
    const headers: Record<string, string> = { accept: 'application/json' }
    if (options.auth !== false) {
      if (this.#token === undefined) {
        throw new ControllerError(
          `cannot call ${path}: the agent has not enrolled yet`,
          0,
          'NOT_ENROLLED'
        )
      }

      headers.authorization = `Bearer ${this.#token}`
    }

    let body: string | Readable | undefined
    if (options.stream !== undefined) {
      body = options.stream
      headers['content-type'] = options.contentType ?? 'application/octet-stream'
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers['content-type'] = 'application/json'
    }

    const signals: AbortSignal[] = []
    const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS
    if (timeoutMs > 0) {
      signals.push(AbortSignal.timeout(timeoutMs))
    }

    if (options.signal) {
      signals.push(options.signal)
    }

    let response: Response
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body as RequestInit['body'],
        signal: signals.length > 0 ? AbortSignal.any(signals) : undefined,
        redirect: 'error',
        ...(options.stream ? { duplex: 'half' } : {}),
      } as RequestInit)
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message
      const detail = cause ? `${(error as Error).message} (${cause})` : (error as Error).message
      throw new ControllerError(`${method} ${url.pathname} failed: ${detail}`, 0, 'UNREACHABLE', {
        cause: error,
      })
    }

    if (response.ok) {
      return response
    }

    throw await toControllerError(method, url, response)
  }
}

async function toControllerError(
  method: string,
  url: URL,
  response: Response
): Promise<ControllerError> {
  let code = `HTTP_${response.status}`
  let message = response.statusText
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } }
    code = body.error?.code ?? code
    message = body.error?.message ?? message
  } catch {
    // The body is not the API's JSON error shape, so the status alone describes the error.
  }

  return new ControllerError(
    `${method} ${url.pathname} returned ${response.status} ${code}: ${message}`,
    response.status,
    code
  )
}

async function readLimited(response: Response, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = []
  let total = 0
  if (response.body === null) {
    return Buffer.alloc(0)
  }

  for await (const chunk of response.body) {
    total += chunk.length
    if (total > limit) {
      await response.body.cancel().catch(() => {})
      throw new ControllerError(
        `${what} is larger than ${limit} bytes; the agent does not download it`,
        response.status,
        'TOO_LARGE'
      )
    }

    chunks.push(Buffer.from(chunk))
  }

  return Buffer.concat(chunks)
}
