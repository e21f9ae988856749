import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A fake Coolify v4 API on 127.0.0.1 that returns what Coolify 4.3.11 returns. Lists are plain
 * JSON arrays, numeric ids appear only on resource lists, and uuids have 24 characters. Errors
 * use Coolify's bodies for a bad token, a missing ability, a disabled API, a rejected IP and the
 * rate limit.
 */

/** Builds a 24-character Coolify-style uuid ([a-z0-9]) from a short readable stem. */
export function coolifyUuid(stem: string) {
  return stem
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .padEnd(24, '0')
    .slice(0, 24)
}

/** The fixture's uuids, so tests can build container names and volume names from them. */
export const FIXTURE = {
  server: coolifyUuid('srvlocalhost'),
  edgeServer: coolifyUuid('srvedge'),
  project: coolifyUuid('projacme'),
  environment: coolifyUuid('envproduction'),
  web: coolifyUuid('appweb'),
  mainDb: coolifyUuid('dbmain'),
  cache: coolifyUuid('dbcache'),
  analytics: coolifyUuid('svcanalytics'),
  analyticsApp: coolifyUuid('svcanalyticsapp'),
  analyticsDb: coolifyUuid('svcanalyticsdb'),
  api: coolifyUuid('appapi'),
}

export interface FakeCoolifyOptions {
  /** The token that authenticates; anything else gets 401, a token with spaces 400. */
  token?: string
  abilities?: string[]
  version?: string
  /** Adds a second server `edge` with an application `api` (id 8). */
  secondServer?: boolean
}

interface FakeResource {
  id: number
  uuid: string
  name: string
  type: string
  status: string
  server: string
  storages: { name: string; mount_path: string; host_path: string | null }[]
}

/** A running fake Coolify API and the knobs tests turn. */
export interface FakeCoolify {
  url: string
  token: string
  /** Paths of every request, in order. */
  requests: string[]
  state: {
    apiDisabled: boolean
    ipNotAllowed: boolean
    abilities: string[]
    version: string
    /** Number of next requests that get a 429 response. */
    rateLimitedRequests: number
    retryAfterSeconds: number
    resources: FakeResource[]
  }
  removeResource(uuid: string): void
  close(): Promise<void>
}

function fixtureResources(secondServer: boolean): FakeResource[] {
  const resources: FakeResource[] = [
    {
      id: 5,
      uuid: FIXTURE.web,
      name: 'web',
      type: 'application',
      status: 'running:healthy',
      server: FIXTURE.server,
      storages: [{ name: `${FIXTURE.web}-uploads`, mount_path: '/app/uploads', host_path: null }],
    },
    {
      id: 7,
      uuid: FIXTURE.mainDb,
      name: 'main-db',
      type: 'standalone-postgresql',
      status: 'running:healthy',
      server: FIXTURE.server,
      storages: [
        {
          name: `postgres-data-${FIXTURE.mainDb}`,
          mount_path: '/var/lib/postgresql/data',
          host_path: null,
        },
      ],
    },
    {
      id: 2,
      uuid: FIXTURE.cache,
      name: 'cache',
      type: 'standalone-redis',
      status: 'running:healthy',
      server: FIXTURE.server,
      storages: [{ name: `redis-data-${FIXTURE.cache}`, mount_path: '/data', host_path: null }],
    },
    {
      id: 3,
      uuid: FIXTURE.analytics,
      name: 'analytics',
      type: 'service',
      status: 'running:healthy',
      server: FIXTURE.server,
      storages: [
        {
          name: `${FIXTURE.analytics}_postgres-data`,
          mount_path: '/var/lib/postgresql/data',
          host_path: null,
        },
        {
          name: 'config',
          mount_path: '/etc/analytics',
          host_path: `/data/coolify/services/${FIXTURE.analytics}/config`,
        },
      ],
    },
  ]

  if (secondServer) {
    resources.push({
      id: 8,
      uuid: FIXTURE.api,
      name: 'api',
      type: 'application',
      status: 'running:healthy',
      server: FIXTURE.edgeServer,
      storages: [{ name: `${FIXTURE.api}-cache`, mount_path: '/cache', host_path: null }],
    })
  }
  return resources
}

/** Starts the fake on 127.0.0.1 with a random port. */
export async function startFakeCoolify(options: FakeCoolifyOptions = {}): Promise<FakeCoolify> {
  const token = options.token ?? '1|fake-coolify-read-token'
  const secondServer = options.secondServer ?? false
  const requests: string[] = []
  const state: FakeCoolify['state'] = {
    apiDisabled: false,
    ipNotAllowed: false,
    abilities: options.abilities ?? ['read'],
    version: options.version ?? '4.3.11',
    rateLimitedRequests: 0,
    retryAfterSeconds: 1,
    resources: fixtureResources(secondServer),
  }

  const servers = [
    { uuid: FIXTURE.server, name: 'localhost', ip: 'host.docker.internal', is_coolify_host: true },
    ...(secondServer
      ? [{ uuid: FIXTURE.edgeServer, name: 'edge', ip: '10.0.0.2', is_coolify_host: false }]
      : []),
  ].map((server) => ({
    ...server,
    description: null,
    user: 'root',
    port: 22,
    is_reachable: true,
    is_usable: true,
    settings: {},
  }))

  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]
    requests.push(path)
    handle(request, response, path)
  })

  function send(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {}
  ) {
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    const type = typeof body === 'string' ? 'text/plain' : 'application/json'
    response.writeHead(status, { 'content-type': type, ...headers })
    response.end(text)
  }

  function handle(request: IncomingMessage, response: ServerResponse, path: string) {
    if (path === '/api/health') {
      return send(response, 200, 'OK')
    }
    if (!path.startsWith('/api/v1/')) {
      return send(response, 404, { message: 'Not found.', docs: 'https://coolify.io/docs' })
    }

    if (state.rateLimitedRequests > 0) {
      state.rateLimitedRequests--
      return send(
        response,
        429,
        { message: 'Rate limit exceeded. Please try again later.' },
        {
          'retry-after': String(state.retryAfterSeconds),
        }
      )
    }

    const bearer = /^Bearer (.*)$/.exec(request.headers.authorization ?? '')?.[1]
    if (bearer !== undefined && /\s/.test(bearer.trim())) {
      return send(response, 400, {
        message: 'Invalid token.',
        docs: 'https://coolify.io/docs/api-reference/authorization',
      })
    }
    if (bearer !== token) {
      return send(response, 401, { message: 'Unauthenticated.' })
    }
    if (state.apiDisabled) {
      return send(response, 403, { success: true, message: 'API is disabled.' })
    }
    if (state.ipNotAllowed) {
      return send(response, 403, {
        success: true,
        message: 'You are not allowed to access the API.',
      })
    }
    if (!state.abilities.includes('read') && !state.abilities.includes('root')) {
      return send(response, 403, { message: 'Missing required permissions: read' })
    }

    return route(response, path.slice('/api/v1'.length))
  }

  function route(response: ServerResponse, path: string) {
    const summary = (resource: FakeResource) => ({
      id: resource.id,
      uuid: resource.uuid,
      name: resource.name,
      type: resource.type,
      status: resource.status,
    })

    if (path === '/version') {
      return send(response, 200, state.version)
    }
    if (path === '/servers') {
      return send(response, 200, servers)
    }
    if (path === '/resources') {
      return send(response, 200, state.resources.map(summary))
    }
    if (path === '/projects') {
      return send(response, 200, [{ id: 1, uuid: FIXTURE.project, name: 'acme' }])
    }

    const serverResources = /^\/servers\/([a-z0-9]+)\/resources$/.exec(path)
    if (serverResources) {
      if (!servers.some((entry) => entry.uuid === serverResources[1])) {
        return send(response, 404, { message: 'Server not found.' })
      }
      return send(
        response,
        200,
        state.resources.filter((entry) => entry.server === serverResources[1]).map(summary)
      )
    }

    const storages = /^\/(applications|databases|services)\/([a-z0-9]+)\/storages$/.exec(path)
    if (storages) {
      const resource = state.resources.find((entry) => entry.uuid === storages[2])
      if (!resource) {
        return send(response, 404, {
          message: `${storages[1] === 'databases' ? 'Database' : 'Resource'} not found.`,
        })
      }
      return send(response, 200, {
        persistent_storages: resource.storages.map((storage, index) => ({
          id: resource.id * 100 + index,
          uuid: coolifyUuid(`st${resource.id}${index}`),
          ...storage,
          resource_type: resource.type,
          resource_id: resource.id,
        })),
        file_storages: [],
      })
    }

    const service = /^\/services\/([a-z0-9]+)$/.exec(path)
    if (service && service[1] === FIXTURE.analytics) {
      return send(response, 200, {
        uuid: FIXTURE.analytics,
        name: 'analytics',
        service_type: 'plausible',
        status: 'running:healthy',
        applications: [
          {
            id: 21,
            uuid: FIXTURE.analyticsApp,
            name: 'app',
            human_name: null,
            image: 'plausible',
            status: 'running',
          },
        ],
        databases: [
          {
            id: 31,
            uuid: FIXTURE.analyticsDb,
            name: 'postgres',
            image: 'postgres:16-alpine',
            status: 'running',
          },
        ],
      })
    }

    return send(response, 404, { message: 'Not found.', docs: 'https://coolify.io/docs' })
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    state,
    removeResource(uuid) {
      state.resources = state.resources.filter((entry) => entry.uuid !== uuid)
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
