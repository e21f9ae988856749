import logger from '@adonisjs/core/services/logger'
import { CoolifyError, compareCoolifyVersions } from '#services/coolify/coolify_error'

/** A server as `GET /servers` returns it. */
export interface CoolifyServer {
  uuid: string
  name: string
  ip?: string | null
  is_coolify_host?: boolean
  is_reachable?: boolean
  is_usable?: boolean
}

/** An entry of `GET /servers/{uuid}/resources` or `GET /resources`. */
export interface CoolifyResourceSummary {
  id: number
  uuid: string
  name: string
  type: string
  status?: string | null
}

/** A persistent storage of `GET /{kind}/{uuid}/storages`. */
export interface CoolifyPersistentStorage {
  name: string
  mount_path: string
  host_path?: string | null
  resource_uuid?: string
}

/** A service as `GET /services/{uuid}` returns it. */
export interface CoolifyService {
  uuid: string
  name: string
  applications?: { id: number; uuid: string; name: string; status?: string }[]
  databases?: { id: number; uuid: string; name: string; status?: string }[]
}

export type CoolifyResourceKind = 'applications' | 'databases' | 'services'

/** Versions where API features appeared. */
export const COOLIFY_FEATURES = {
  storages: { minVersion: '4.0.0-beta.469', label: 'listing storages' },
  clone: { minVersion: '4.3.0', label: 'cloning resources' },
} as const

export interface CoolifyClientOptions {
  /** Time limit of each request, in milliseconds. */
  timeoutMs?: number
  /** Longest Retry-After (seconds) waited on a 429 before giving up. */
  maxRetryAfterSeconds?: number
  /** Retries after 429 responses. */
  rateLimitRetries?: number
}

/** A read client of the Coolify v4 REST API (`<base>/api/v1`) with a bearer token. */
export class CoolifyClient {
  readonly #baseUrl: string
  readonly #token: string
  readonly #timeoutMs: number
  readonly #maxRetryAfterSeconds: number
  readonly #rateLimitRetries: number

  constructor(baseUrl: string, token: string, options: CoolifyClientOptions = {}) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '')
    this.#token = token
    this.#timeoutMs = options.timeoutMs ?? 15_000
    this.#maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? 30
    this.#rateLimitRetries = options.rateLimitRetries ?? 2
  }

  /** Returns Coolify's version, such as `4.3.11`. */
  async version() {
    const text = await this.#request('/version', 'text')
    return String(text).trim().replace(/^"|"$/g, '')
  }

  async servers() {
    return this.#list<CoolifyServer>('/servers')
  }

  async serverResources(serverUuid: string) {
    return this.#list<CoolifyResourceSummary>(
      `/servers/${encodeURIComponent(serverUuid)}/resources`
    )
  }

  async resources() {
    return this.#list<CoolifyResourceSummary>('/resources')
  }

  async service(uuid: string) {
    return (await this.#request(`/services/${encodeURIComponent(uuid)}`, 'json')) as CoolifyService
  }

  /** Returns the persistent storages of an application, database or service. */
  async storages(kind: CoolifyResourceKind, uuid: string) {
    const body = (await this.#request(`/${kind}/${encodeURIComponent(uuid)}/storages`, 'json')) as {
      persistent_storages?: CoolifyPersistentStorage[]
    }
    return Array.isArray(body?.persistent_storages) ? body.persistent_storages : []
  }

  /**
   * Raises COOLIFY_VERSION_TOO_OLD when `version` is older than the one a feature needs.
   */
  static requireFeature(version: string, feature: keyof typeof COOLIFY_FEATURES) {
    const { minVersion, label } = COOLIFY_FEATURES[feature]
    if (compareCoolifyVersions(version, minVersion) < 0) {
      throw new CoolifyError(
        'COOLIFY_VERSION_TOO_OLD',
        `Coolify ${version} is too old for ${label}, which needs ${minVersion} or newer. Upgrade Coolify.`
      )
    }
  }

  async #list<T>(path: string): Promise<T[]> {
    const body = await this.#request(path, 'json')
    if (!Array.isArray(body)) {
      throw new CoolifyError(
        'COOLIFY_INVALID_RESPONSE',
        `Coolify returned no list for GET ${path}. Check that the URL points at a Coolify v4 instance.`
      )
    }
    return body as T[]
  }

  async #request(path: string, expect: 'json' | 'text', attempt = 0): Promise<unknown> {
    const url = `${this.#baseUrl}/api/v1${path}`
    let response: Response

    try {
      response = await fetch(url, {
        headers: { authorization: `Bearer ${this.#token}`, accept: 'application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
    } catch (error) {
      throw this.#networkError(error)
    }

    if (response.status === 429 && attempt < this.#rateLimitRetries) {
      const waitSeconds = retryAfterSeconds(response.headers.get('retry-after'))
      if (waitSeconds !== null && waitSeconds <= this.#maxRetryAfterSeconds) {
        logger.warn({ path, waitSeconds, attempt }, 'coolify rate limit reached, retrying')
        await response.body?.cancel()
        await new Promise((resolve) => setTimeout(resolve, waitSeconds * 1000))
        return this.#request(path, expect, attempt + 1)
      }
    }

    const text = await response.text()
    if (response.ok) {
      return expect === 'text' ? text : parseJson(text, path)
    }

    throw this.#statusError(response, text, path)
  }

  #networkError(error: unknown) {
    const cause = error instanceof Error ? (error.cause as Error | undefined) : undefined
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return new CoolifyError(
        'COOLIFY_TIMEOUT',
        `Coolify at ${this.#baseUrl} did not answer within ${this.#timeoutMs / 1000} s. Check that it is running and reachable from the controller.`
      )
    }
    const reason = cause?.message ?? (error instanceof Error ? error.message : String(error))
    return new CoolifyError(
      'COOLIFY_UNREACHABLE',
      `Could not reach Coolify at ${this.#baseUrl} (${reason}). Check the URL and that the controller can reach it.`
    )
  }

  #statusError(response: Response, text: string, path: string) {
    const status = response.status
    const message = messageOf(text)

    if (status >= 300 && status < 400) {
      const location = response.headers.get('location') ?? 'another address'
      return new CoolifyError(
        'COOLIFY_REDIRECT',
        `Coolify redirected GET ${path} to ${location}; redirects are not followed. Set the instance URL to the address Coolify answers on (for example with https).`,
        { status }
      )
    }

    if (status === 400 || status === 401) {
      return new CoolifyError(
        'COOLIFY_INVALID_TOKEN',
        `Coolify rejected the API token (${status}: ${message || 'unauthenticated'}). Create a new token in Coolify (Keys & Tokens, API tokens) and save it on the instance.`,
        { status }
      )
    }

    if (status === 403) {
      return forbiddenError(message, path)
    }

    if (status === 404) {
      return new CoolifyError(
        'COOLIFY_NOT_FOUND',
        `Coolify has no ${path} (404: ${message || 'not found'}). Check the instance URL, or sync again if the resource was deleted.`,
        { status }
      )
    }

    if (status === 429) {
      const waitSeconds = retryAfterSeconds(response.headers.get('retry-after'))
      const when = waitSeconds === null ? 'later' : `in ${waitSeconds} s`
      return new CoolifyError(
        'COOLIFY_RATE_LIMITED',
        `Coolify's rate limit was reached (429: ${message || 'rate limit exceeded'}). Try again ${when}, or raise the API rate limit in Coolify.`,
        { status, retryAfterSeconds: waitSeconds ?? undefined }
      )
    }

    return new CoolifyError(
      'COOLIFY_HTTP_ERROR',
      `Coolify answered GET ${path} with ${status}${message ? `: ${message}` : ''}. Check Coolify's logs.`,
      { status }
    )
  }
}

/** Classifies a 403: API disabled, IP not allowed, missing ability, or a team member's token. */
function forbiddenError(message: string, path: string) {
  if (/API is disabled/i.test(message)) {
    return new CoolifyError(
      'COOLIFY_API_DISABLED',
      'The Coolify API is disabled. Enable it in Coolify under Settings, Advanced, API access.',
      { status: 403 }
    )
  }

  if (/not allowed to access the API/i.test(message)) {
    return new CoolifyError(
      'COOLIFY_IP_NOT_ALLOWED',
      "Coolify does not allow API calls from the controller's IP address. Add it to the allowed IPs under Settings, Advanced, API access.",
      { status: 403 }
    )
  }

  const missing = /Missing required permissions:\s*(.+)$/i.exec(message)
  if (missing) {
    return new CoolifyError(
      'COOLIFY_MISSING_ABILITY',
      `The Coolify token lacks the ability "${missing[1].trim()}" needed for GET ${path}. Create a token with that ability (read is enough to discover resources).`,
      { status: 403 }
    )
  }

  return new CoolifyError(
    'COOLIFY_FORBIDDEN',
    `Coolify refused GET ${path} (403${message ? `: ${message}` : ''}). A team member's token with write, deploy or root abilities is refused on every call: use a token of an admin or owner, or a read-only token.`,
    { status: 403 }
  )
}

/** Reads a Retry-After header in seconds (a number or an HTTP date), or null. */
function retryAfterSeconds(header: string | null) {
  if (!header) {
    return null
  }
  if (/^\d+$/.test(header.trim())) {
    return Number(header.trim())
  }
  const date = Date.parse(header)
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000))
}

function messageOf(text: string) {
  try {
    const body = JSON.parse(text)
    return typeof body?.message === 'string' ? body.message : ''
  } catch {
    return text.slice(0, 200)
  }
}

function parseJson(text: string, path: string) {
  try {
    return JSON.parse(text)
  } catch {
    throw new CoolifyError(
      'COOLIFY_INVALID_RESPONSE',
      `Coolify returned invalid JSON for GET ${path}. Check that the URL points at a Coolify v4 instance, not a proxy page.`
    )
  }
}
