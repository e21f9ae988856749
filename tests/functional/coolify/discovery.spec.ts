import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { DateTime } from 'luxon'
import Agent, { type Inventory } from '#models/agent'
import Job from '#models/job'
import Resource from '#models/resource'
import Server from '#models/server'
import { startBackup } from '#services/backups/start_backup'
import { CoolifyClient } from '#services/coolify/coolify_client'
import { CoolifyError } from '#services/coolify/coolify_error'
import { syncCoolifyInstance } from '#services/coolify/sync_coolify_instance'
import { createUser, locationOf } from '#tests/helpers/accounts'
import { FIXTURE, startFakeCoolify, type FakeCoolify } from '#tests/helpers/fake_coolify'
import {
  createCoolifyInstance,
  createLocalDestination,
  enrollOnlineAgent,
} from '#tests/helpers/schedule_fixtures'

/** Containers of the fixture's main server, as an agent there reports them. */
function localhostContainers(): Inventory['containers'] {
  return [
    {
      id: 'c-web',
      name: `${FIXTURE.web}-123456789012`,
      image: `${FIXTURE.web}:abc123`,
      state: 'running',
      labels: {
        'coolify.managed': 'true',
        'coolify.applicationId': '5',
        'coolify.type': 'application',
      },
      mounts: [
        {
          type: 'volume',
          name: `${FIXTURE.web}-uploads`,
          destination: '/app/uploads',
          readWrite: true,
        },
        { type: 'bind', source: '/srv/web-media', destination: '/media', readWrite: true },
      ],
    },
    {
      id: 'c-db',
      name: FIXTURE.mainDb,
      image: 'postgres:16-alpine',
      state: 'running',
      labels: { 'coolify.managed': 'true', 'coolify.type': 'database', 'coolify.databaseId': '7' },
      mounts: [
        {
          type: 'volume',
          name: `postgres-data-${FIXTURE.mainDb}`,
          destination: '/var/lib/postgresql/data',
          readWrite: true,
        },
      ],
    },
    {
      id: 'c-analytics-db',
      name: `postgres-${FIXTURE.analytics}`,
      image: 'postgres:16-alpine',
      state: 'running',
      labels: { 'com.docker.compose.project': FIXTURE.analytics },
      mounts: [
        {
          type: 'volume',
          name: `${FIXTURE.analytics}_postgres-data`,
          destination: '/var/lib/postgresql/data',
          readWrite: true,
        },
      ],
    },
    {
      id: 'c-cache',
      name: FIXTURE.cache,
      image: 'redis:7',
      state: 'running',
      labels: {},
      mounts: [],
    },
  ]
}

function heartbeat(containers: Inventory['containers']) {
  return {
    agentVersion: '0.1.0',
    concurrency: 1,
    runningJobs: [],
    inventory: { containers, volumes: [] },
  }
}

test.group('Coolify: discovery and errors', (group) => {
  let fake: FakeCoolify
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(async () => {
    fake = await startFakeCoolify({ secondServer: true })
    return () => fake.close()
  })

  test('sync discovers the fixture resources', async ({ client, assert }) => {
    const operator = await createUser('operator')
    const instance = await createCoolifyInstance(fake)

    const response = await client
      .post(`/instances/${instance.id}/coolify/sync`)
      .withCsrfToken()
      .loginAs(operator)
      .redirects(0)
    response.assertStatus(302)
    assert.equal(locationOf(response), `/instances/${instance.id}`)

    const servers = await Server.query().where('instance_id', instance.id).orderBy('name')
    assert.deepEqual(
      servers.map((server) => server.name),
      ['edge', 'localhost']
    )
    const localhost = servers.find((server) => server.name === 'localhost')!

    const resources = await Resource.query().where('instance_id', instance.id)
    const byName = new Map(resources.map((resource) => [resource.name, resource]))

    const web = byName.get('web')!
    assert.equal(web.kind, 'application')
    assert.equal(web.coolifyId, 5)
    assert.equal(web.serverId, localhost.id)
    assert.equal(web.status, 'running:healthy')
    assert.deepInclude(web.volumes, {
      type: 'volume',
      name: `${FIXTURE.web}-uploads`,
      mountPath: '/app/uploads',
    })

    const mainDb = byName.get('main-db')!
    assert.equal(mainDb.kind, 'database')
    assert.equal(mainDb.coolifyType, 'standalone-postgresql')
    assert.equal(mainDb.coolifyId, 7)
    assert.deepEqual(
      mainDb.volumes.map((volume) => (volume as any).name),
      [`postgres-data-${FIXTURE.mainDb}`]
    )

    const cache = byName.get('cache')!
    assert.equal(cache.coolifyId, 2)
    assert.deepEqual(
      cache.volumes.map((volume) => (volume as any).name),
      [`redis-data-${FIXTURE.cache}`]
    )

    const analytics = byName.get('analytics')!
    assert.equal(analytics.kind, 'service')
    assert.equal(analytics.coolifyId, 3)
    assert.deepInclude(analytics.volumes, {
      type: 'volume',
      name: `${FIXTURE.analytics}_postgres-data`,
      mountPath: '/var/lib/postgresql/data',
    })
    assert.deepInclude(analytics.volumes, {
      type: 'bind',
      source: `/data/coolify/services/${FIXTURE.analytics}/config`,
      mountPath: '/etc/analytics',
    })

    await instance.refresh()
    assert.equal(instance.coolifyVersion, '4.3.11')
    assert.isNull(instance.coolifySyncError)
  })

  test('disappeared resource is marked missing', async ({ assert }) => {
    const instance = await createCoolifyInstance(fake)
    await syncCoolifyInstance(instance)
    fake.removeResource(FIXTURE.cache)

    const report = await syncCoolifyInstance(instance)
    assert.equal(report.markedMissing, 1)

    const cache = await Resource.query().where('external_key', FIXTURE.cache).firstOrFail()
    assert.isNotNull(cache.missingAt)
    const web = await Resource.query().where('external_key', FIXTURE.web).firstOrFail()
    assert.isNull(web.missingAt)
  })

  test('API failures get plain errors', async ({ assert }) => {
    const cases: {
      name: string
      prepare: () => void
      token?: string
      code: string
      text: RegExp
    }[] = [
      {
        name: 'malformed token',
        prepare: () => {},
        token: 'not a token',
        code: 'COOLIFY_INVALID_TOKEN',
        text: /400/,
      },
      {
        name: 'wrong token',
        prepare: () => {},
        token: '2|wrong',
        code: 'COOLIFY_INVALID_TOKEN',
        text: /401/,
      },
      {
        name: 'disabled API',
        prepare: () => (fake.state.apiDisabled = true),
        code: 'COOLIFY_API_DISABLED',
        text: /Enable it/,
      },
      {
        name: 'IP not allowed',
        prepare: () => (fake.state.ipNotAllowed = true),
        code: 'COOLIFY_IP_NOT_ALLOWED',
        text: /allowed IPs/,
      },
      {
        name: 'missing ability',
        prepare: () => (fake.state.abilities = ['deploy']),
        code: 'COOLIFY_MISSING_ABILITY',
        text: /"read"/,
      },
    ]

    for (const entry of cases) {
      fake.state.apiDisabled = false
      fake.state.ipNotAllowed = false
      fake.state.abilities = ['read']
      entry.prepare()

      const instance = await createCoolifyInstance(fake, entry.token ?? fake.token)
      const error = await syncCoolifyInstance(instance).catch((caught) => caught)
      assert.instanceOf(error, CoolifyError, entry.name)
      assert.equal(error.code, entry.code, entry.name)
      assert.match(error.message, entry.text, entry.name)

      await instance.refresh()
      assert.equal(instance.coolifySyncError, error.message, entry.name)
    }
  })

  test('unreachable Coolify is reported', async ({ assert }) => {
    const instance = await createCoolifyInstance(fake)
    await fake.close()

    const error = await syncCoolifyInstance(instance).catch((caught) => caught)
    assert.equal(error.code, 'COOLIFY_UNREACHABLE')
    assert.include(error.message, fake.url)
    fake = await startFakeCoolify()
  })

  test('rate limit honours Retry-After', async ({ assert }) => {
    const client = new CoolifyClient(fake.url, fake.token)
    fake.state.rateLimitedRequests = 1
    fake.state.retryAfterSeconds = 1

    const started = Date.now()
    assert.equal(await client.version(), '4.3.11')
    assert.isAtLeast(Date.now() - started, 1000)
    assert.deepEqual(fake.requests, ['/api/v1/version', '/api/v1/version'])

    fake.state.rateLimitedRequests = 10
    fake.state.retryAfterSeconds = 120
    const error = await client.servers().catch((caught) => caught)
    assert.equal(error.code, 'COOLIFY_RATE_LIMITED')
    assert.equal(error.details.retryAfterSeconds, 120)
    assert.match(error.message, /in 120 s/)
  })

  test('old version skips storages', async ({ assert }) => {
    fake.state.version = '4.0.0-beta.400'
    const instance = await createCoolifyInstance(fake)

    const report = await syncCoolifyInstance(instance)
    assert.lengthOf(report.warnings, 1)
    assert.match(report.warnings[0], /4\.0\.0-beta\.469/)
    assert.isFalse(fake.requests.some((path) => path.endsWith('/storages')))

    const mainDb = await Resource.query().where('external_key', FIXTURE.mainDb).firstOrFail()
    assert.deepEqual(
      mainDb.volumes.map((volume) => (volume as any).name),
      [`postgres-data-${FIXTURE.mainDb}`]
    )
    assert.throws(() => CoolifyClient.requireFeature('4.2.0', 'clone'), /4\.3\.0 or newer/)
  })

  test('connect form stores token and syncs', async ({ client, assert }) => {
    const admin = await createUser('admin')
    const instance = await createCoolifyInstance(fake, 'old-token')

    const response = await client
      .post(`/instances/${instance.id}/coolify`)
      .form({ coolifyUrl: fake.url, coolifyToken: fake.token })
      .withCsrfToken()
      .loginAs(admin)
      .redirects(0)
    response.assertStatus(302)

    await instance.refresh()
    assert.notInclude(instance.coolifyToken ?? '', fake.token)
    assert.equal(
      await Resource.query()
        .where('instance_id', instance.id)
        .count('* as total')
        .then((rows) => Number(rows[0].$extras.total)),
      5
    )

    const page = await client.get(`/instances/${instance.id}`).loginAs(admin)
    page.assertTextIncludes('Coolify 4.3.11')
  })
})

test.group('Coolify: agents and servers', (group) => {
  let fake: FakeCoolify
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(async () => {
    fake = await startFakeCoolify({ secondServer: true })
    return () => fake.close()
  })

  test('heartbeat maps containers to resources', async ({ client, assert }) => {
    const instance = await createCoolifyInstance(fake)
    await syncCoolifyInstance(instance)
    const { agent, token } = await enrollOnlineAgent(instance, 'coolify-main')
    assert.isNull(agent.serverId)

    const response = await client
      .post('/api/agent/heartbeat')
      .bearerToken(token)
      .json(heartbeat(localhostContainers()))
    response.assertStatus(200)

    await agent.refresh()
    const localhost = await Server.query().where('coolify_uuid', FIXTURE.server).firstOrFail()
    assert.equal(agent.serverId, localhost.id)

    const web = await Resource.query().where('external_key', FIXTURE.web).firstOrFail()
    assert.deepInclude(web.volumes, { type: 'bind', source: '/srv/web-media', mountPath: '/media' })
    assert.lengthOf(web.volumes, 2)
  })

  test('container match rules', async ({ assert }) => {
    const { matchContainer } = await import('#services/coolify/map_coolify_containers')
    const instance = await createCoolifyInstance(fake)
    await syncCoolifyInstance(instance)
    const resources = await Resource.query().where('instance_id', instance.id)
    const nameOf = (container: Inventory['containers'][number]) =>
      matchContainer(container, resources)

    const [webContainer, dbContainer, serviceContainer, cacheContainer] = localhostContainers()
    assert.equal(nameOf(webContainer)?.resource.name, 'web')
    assert.equal(nameOf(webContainer)?.rule, 'id-label')
    assert.equal(nameOf(dbContainer)?.resource.name, 'main-db')
    assert.equal(nameOf(serviceContainer)?.resource.name, 'analytics')
    assert.equal(nameOf(serviceContainer)?.rule, 'compose-project')
    assert.equal(nameOf(cacheContainer)?.resource.name, 'cache')
    assert.equal(nameOf(cacheContainer)?.rule, 'name')

    const subDatabase = {
      ...serviceContainer,
      labels: {
        'coolify.serviceId': '3',
        'coolify.service.subId': '31',
        'coolify.service.subType': 'database',
      },
    }
    assert.equal(nameOf(subDatabase)?.resource.name, 'analytics')
    const redisWithIdTwo = {
      ...cacheContainer,
      name: 'other',
      labels: { 'coolify.databaseId': '2' },
    }
    assert.equal(nameOf(redisWithIdTwo)?.resource.name, 'cache')
    assert.isNull(
      nameOf({ ...cacheContainer, name: 'coolify-proxy', labels: { 'coolify.proxy': 'true' } })
    )
  })

  test('backups run on the resource server', async ({ client, assert }) => {
    const instance = await createCoolifyInstance(fake)
    await syncCoolifyInstance(instance)
    const destination = await createLocalDestination()

    const main = await enrollOnlineAgent(instance, 'coolify-main')
    const edge = await enrollOnlineAgent(instance, 'coolify-edge')
    await client
      .post('/api/agent/heartbeat')
      .bearerToken(main.token)
      .json(heartbeat(localhostContainers()))
    const edgeContainers = [
      {
        id: 'c-api',
        name: `${FIXTURE.api}-000000000001`,
        image: 'api',
        state: 'running',
        labels: { 'coolify.applicationId': '8' },
        mounts: [],
      },
    ]
    await client
      .post('/api/agent/heartbeat')
      .bearerToken(edge.token)
      .json(heartbeat(edgeContainers as any))

    const edgeServer = await Server.query().where('coolify_uuid', FIXTURE.edgeServer).firstOrFail()
    assert.equal((await Agent.findOrFail(edge.agent.id)).serverId, edgeServer.id)

    const web = await Resource.query().where('external_key', FIXTURE.web).firstOrFail()
    const jobs = await startBackup(web, destination, 'test')
    for (const job of jobs) {
      assert.equal(job.status, 'queued')
    }

    const edgeLease = await client
      .post('/api/agent/lease')
      .bearerToken(edge.token)
      .json({ capacity: 1, waitSeconds: 0 })
    assert.isNull(edgeLease.body().job ?? null)

    const mainLease = await client
      .post('/api/agent/lease')
      .bearerToken(main.token)
      .json({ capacity: 1, waitSeconds: 0 })
    assert.include(
      jobs.map((job) => job.id),
      mainLease.body().job.id
    )
  })

  test('no online agent fails at once', async ({ client, assert }) => {
    const instance = await createCoolifyInstance(fake)
    await syncCoolifyInstance(instance)
    const destination = await createLocalDestination()
    const main = await enrollOnlineAgent(instance, 'coolify-main')
    const edge = await enrollOnlineAgent(instance, 'coolify-edge')
    await client
      .post('/api/agent/heartbeat')
      .bearerToken(main.token)
      .json(heartbeat(localhostContainers()))

    const mainAgent = await Agent.findOrFail(main.agent.id)
    mainAgent.lastSeenAt = DateTime.now().minus({ hours: 1 })
    await mainAgent.save()

    const web = await Resource.query().where('external_key', FIXTURE.web).firstOrFail()
    const [job] = await startBackup(web, destination, 'test')
    assert.equal(job.status, 'failed')
    assert.equal(job.error?.code, 'NO_ONLINE_AGENT')
    assert.include(job.error?.message ?? '', 'no online agent on server localhost')

    const edgeLease = await client
      .post('/api/agent/lease')
      .bearerToken(edge.token)
      .json({ capacity: 1, waitSeconds: 0 })
    assert.isNull(edgeLease.body().job ?? null)
    assert.equal((await Job.findOrFail(job.id)).status, 'failed')
  })
})
