/*
 * Walks every route registered in the router. Each mutating route (POST, PUT, PATCH, DELETE)
 * must either carry the `role` middleware, or be a public sign-in flow or an agent API route
 * listed below. Role-gated routes are requested as anonymous, viewer, operator and admin:
 * anonymous is sent to /login (401 for JSON), roles below the minimum get 403, and the others
 * get neither 401 nor 403. Routes added later are picked up without changes here.
 */

import { test } from '@japa/runner'
import router from '@adonisjs/core/services/router'
import testUtils from '@adonisjs/core/services/test_utils'
import { ROLES, type Role } from '#models/user'
import { createUser, resetRateLimits } from '#tests/helpers/accounts'

const MUTATING = ['POST', 'PUT', 'PATCH', 'DELETE'] as const

/** Public flows for visitors without an account: these use no session role by design. */
const PUBLIC_ROUTES: Record<string, string> = {
  'POST /login': 'sign-in form',
  'POST /register': 'first-admin sign-up, closed server-side once an account exists',
  'POST /forgot-password': 'password reset request',
  'POST /reset-password/:token': 'password reset with an emailed token',
  'POST /invitations/:token/accept': 'invitation acceptance with a token',
}

/** Route prefixes authenticated by bearer tokens instead of sessions. */
const BEARER_PREFIXES = ['/api/agent/']

/** Transmit's own routes subscribe to server-sent events and check channel access themselves. */
const TRANSMIT_PREFIX = '/__transmit/'

interface MutatingRoute {
  method: (typeof MUTATING)[number]
  pattern: string
  minRole: Role | null
  matchers: Record<string, { match?: RegExp }>
}

function roleOf(route: { middleware: { all(): Iterable<unknown> } }): Role | null {
  for (const entry of route.middleware.all()) {
    const named = entry as { name?: string; args?: { min?: Role } }
    if (named.name === 'role') {
      return named.args?.min ?? null
    }
  }
  return null
}

function mutatingRoutes(): MutatingRoute[] {
  router.commit()
  const routes: MutatingRoute[] = []
  for (const domainRoutes of Object.values(router.toJSON())) {
    for (const route of domainRoutes) {
      for (const method of route.methods) {
        if ((MUTATING as readonly string[]).includes(method)) {
          routes.push({
            method: method as MutatingRoute['method'],
            pattern: route.pattern,
            minRole: roleOf(route as never),
            matchers: (route.matchers ?? {}) as MutatingRoute['matchers'],
          })
        }
      }
    }
  }
  return routes
}

/** Parameter values that match no row: integer ids, UUIDs, then any other string. */
const PARAM_CANDIDATES = ['0', '00000000-0000-4000-8000-000000000000', 'none']

/**
 * Replaces every :param with a value that matches no row, so handlers cannot change data.
 * The value satisfies the param's matcher, if the route declares one.
 */
function urlOf(route: MutatingRoute) {
  return route.pattern
    .replace(/:([A-Za-z_]+)\?/g, '')
    .replace(/:([A-Za-z_]+)/g, (_, name: string) => {
      const matcher = route.matchers[name]?.match
      return PARAM_CANDIDATES.find((candidate) => !matcher || matcher.test(candidate)) ?? '0'
    })
    .replace(/\*/g, 'x')
}

/**
 * Sends a route's request with a CSRF token. `accept` picks the error style: HTML requests
 * are redirected to /login, while JSON requests get 401 and 403 statuses (Bouncer redirects
 * HTML requests back instead of returning 403, so role checks are asserted in JSON mode).
 */
function send(client: any, route: MutatingRoute, accept: 'html' | 'json') {
  const method = route.method.toLowerCase() as 'post' | 'put' | 'patch' | 'delete'
  return client[method](urlOf(route))
    .header('accept', accept === 'html' ? 'text/html' : 'application/json')
    .withCsrfToken()
    .redirects(0)
}

test.group('Role matrix', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => resetRateLimits())

  test('every mutating route declares a role', ({ assert }) => {
    const routes = mutatingRoutes()
    assert.isAbove(routes.length, 0)

    const unchecked = routes.filter((route) => {
      const key = `${route.method} ${route.pattern}`
      if (route.minRole) return false
      if (PUBLIC_ROUTES[key]) return false
      if (BEARER_PREFIXES.some((prefix) => route.pattern.startsWith(prefix))) return false
      if (route.pattern.startsWith(TRANSMIT_PREFIX)) return false
      return true
    })

    assert.deepEqual(
      unchecked.map((route) => `${route.method} ${route.pattern}`),
      [],
      'These mutating routes have neither middleware.role({ min }) nor an entry in PUBLIC_ROUTES'
    )
  })

  test('role-gated routes enforce their minimum', async ({ client, assert }) => {
    const routes = mutatingRoutes().filter((route) => route.minRole)
    assert.isAbove(routes.length, 0)

    const users = {
      viewer: await createUser('viewer'),
      operator: await createUser('operator'),
      admin: await createUser('admin'),
    }

    for (const route of routes) {
      const label = `${route.method} ${route.pattern} (min ${route.minRole})`

      const anonymous = await send(client, route, 'html')
      const location = anonymous.header('location') ?? ''
      assert.equal(anonymous.status(), 302, `${label}: anonymous got ${anonymous.status()}`)
      assert.isTrue(location.endsWith('/login'), `${label}: anonymous was sent to "${location}"`)

      const anonymousJson = await send(client, route, 'json')
      assert.equal(
        anonymousJson.status(),
        401,
        `${label}: anonymous JSON got ${anonymousJson.status()}`
      )

      for (const role of ROLES) {
        await users[role].refresh()
        const response = await send(client, route, 'json').loginAs(users[role])
        const allowed = users[role].hasRole(route.minRole!)
        if (allowed) {
          assert.notInclude(
            [401, 403],
            response.status(),
            `${label}: ${role} got ${response.status()} but the route allows ${route.minRole}`
          )
        } else {
          assert.equal(
            response.status(),
            403,
            `${label}: ${role} got ${response.status()}, expected 403`
          )
        }
      }
    }
  })

  test('public flows ignore the session role', async ({ client, assert }) => {
    const routes = mutatingRoutes().filter(
      (route) => PUBLIC_ROUTES[`${route.method} ${route.pattern}`]
    )
    assert.lengthOf(
      routes,
      Object.keys(PUBLIC_ROUTES).length,
      'every PUBLIC_ROUTES entry is registered'
    )

    const viewer = await createUser('viewer')
    for (const route of routes) {
      const response = await send(client, route, 'html').loginAs(viewer)
      assert.notEqual(response.status(), 500, `${route.method} ${route.pattern} failed with 500`)
    }
  })

  test('agent API rejects session access', async ({ client, assert }) => {
    const routes = mutatingRoutes().filter((route) =>
      BEARER_PREFIXES.some((prefix) => route.pattern.startsWith(prefix))
    )
    const admin = await createUser('admin')

    for (const route of routes) {
      if (route.pattern === '/api/agent/enroll') {
        continue
      }
      const response = await send(client, route, 'json').loginAs(admin)
      assert.equal(
        response.status(),
        401,
        `${route.method} ${route.pattern}: an admin session without a bearer token got ${response.status()}, expected 401`
      )
    }
  })
})
