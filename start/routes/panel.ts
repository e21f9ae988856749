/*
 * Pages of the panel. Reading needs a signed-in user (any role); every change checks the role
 * server-side with the `role` middleware: operators run and restore backups, admins manage the
 * rest.
 */

import router from '@adonisjs/core/services/router'
import transmit from '@adonisjs/transmit/services/main'
import { middleware } from '#start/kernel'

const OverviewController = () => import('#controllers/panel/overview_controller')
const InstancesController = () => import('#controllers/panel/instances_controller')
const AgentsController = () => import('#controllers/panel/agents_controller')
const EnginesController = () => import('#controllers/panel/engines_controller')
const DestinationsController = () => import('#controllers/panel/destinations_controller')
const ResourcesController = () => import('#controllers/panel/resources_controller')
const SnapshotsController = () => import('#controllers/panel/snapshots_controller')
const JobsController = () => import('#controllers/panel/jobs_controller')
const InstallScriptController = () => import('#controllers/install_script_controller')

const viewer = () => middleware.role({ min: 'viewer' })
const operator = () => middleware.role({ min: 'operator' })
const admin = () => middleware.role({ min: 'admin' })

router.get('/install.sh', [InstallScriptController, 'show']).as('install_script')

router
  .group(() => {
    router.get('/', [OverviewController, 'show']).as('home')

    router.get('/instances', [InstancesController, 'index']).as('instances.index')
    router
      .get('/instances/create', [InstancesController, 'create'])
      .as('instances.create')
      .use(admin())
    router.post('/instances', [InstancesController, 'store']).as('instances.store').use(admin())
    router.get('/instances/:id', [InstancesController, 'show']).as('instances.show')
    router
      .post('/instances/:id/enrollment-token', [InstancesController, 'revealToken'])
      .as('instances.reveal_token')
      .use(admin())
    router
      .delete('/instances/:id', [InstancesController, 'destroy'])
      .as('instances.destroy')
      .use(admin())

    router.get('/agents', [AgentsController, 'index']).as('agents.index')
    router.get('/agents/:id', [AgentsController, 'show']).as('agents.show')
    router.post('/agents/:id/revoke', [AgentsController, 'revoke']).as('agents.revoke').use(admin())
    router
      .post('/agents/:id/server', [AgentsController, 'assignServer'])
      .as('agents.server')
      .use(admin())

    router.get('/engines', [EnginesController, 'index']).as('engines.index')
    router.post('/engines/scan', [EnginesController, 'scan']).as('engines.scan').use(admin())
    router.post('/engines/upload', [EnginesController, 'upload']).as('engines.upload').use(admin())
    router
      .post('/engines/keys', [EnginesController, 'storeKey'])
      .as('engines.keys.store')
      .use(admin())
    router
      .delete('/engines/keys/:id', [EnginesController, 'destroyKey'])
      .as('engines.keys.destroy')
      .use(admin())

    router.get('/destinations', [DestinationsController, 'index']).as('destinations.index')
    router
      .get('/destinations/create', [DestinationsController, 'create'])
      .as('destinations.create')
      .use(admin())
    router
      .post('/destinations', [DestinationsController, 'store'])
      .as('destinations.store')
      .use(admin())
    router.get('/destinations/:id', [DestinationsController, 'show']).as('destinations.show')
    router
      .get('/destinations/:id/edit', [DestinationsController, 'edit'])
      .as('destinations.edit')
      .use(admin())
    router
      .put('/destinations/:id', [DestinationsController, 'update'])
      .as('destinations.update')
      .use(admin())
    router
      .delete('/destinations/:id', [DestinationsController, 'destroy'])
      .as('destinations.destroy')
      .use(admin())
    router
      .post('/destinations/:id/test', [DestinationsController, 'test'])
      .as('destinations.test')
      .use(admin())
    router
      .post('/destinations/:id/host-key', [DestinationsController, 'acceptHostKey'])
      .as('destinations.host_key')
      .use(admin())

    router.get('/resources', [ResourcesController, 'index']).as('resources.index')
    router.get('/resources/:id', [ResourcesController, 'show']).as('resources.show')
    router
      .post('/resources/:id/backups', [ResourcesController, 'backupNow'])
      .as('resources.backup_now')
      .use(operator())
    router
      .post('/resources/:id/settings', [ResourcesController, 'updateSettings'])
      .as('resources.settings')
      .use(operator())

    router.get('/snapshots', [SnapshotsController, 'index']).as('snapshots.index')
    router.get('/snapshots/:id', [SnapshotsController, 'show']).as('snapshots.show')
    router
      .post('/snapshots/:id/browse', [SnapshotsController, 'browse'])
      .as('snapshots.browse')
      .use(operator())
    router
      .post('/snapshots/:id/extract', [SnapshotsController, 'extract'])
      .as('snapshots.extract')
      .use(operator())
    router
      .get('/snapshots/:id/restore', [SnapshotsController, 'confirmRestore'])
      .as('snapshots.confirm_restore')
      .use(operator())
    router
      .post('/snapshots/:id/restore', [SnapshotsController, 'restore'])
      .as('snapshots.restore')
      .use(operator())
    router
      .delete('/snapshots/:id', [SnapshotsController, 'destroy'])
      .as('snapshots.destroy')
      .use(operator())

    router.get('/jobs', [JobsController, 'index']).as('jobs.index')
    router.get('/jobs/:id', [JobsController, 'show']).as('jobs.show')
    router.get('/jobs/:id/poll', [JobsController, 'poll']).as('jobs.poll')
    router
      .get('/jobs/:id/download', [JobsController, 'download'])
      .as('jobs.download')
      .use(operator())
    router.post('/jobs/:id/cancel', [JobsController, 'cancel']).as('jobs.cancel').use(operator())
    router.post('/jobs/:id/retry', [JobsController, 'retry']).as('jobs.retry').use(operator())
  })
  .use(middleware.auth())

/** Live job logs: any signed-in user may watch a job's channel. */
transmit.registerRoutes((route) => {
  route.use(viewer())
  route.use(async ({ request, response }, next) => {
    const channel = request.input('channel')
    const uid = request.input('uid')
    const needsChannel = request.method() === 'POST'
    if (typeof uid !== 'string' || (needsChannel && typeof channel !== 'string')) {
      return response.unprocessableEntity({
        error: { code: 'INVALID_SUBSCRIPTION', message: 'Send a string uid and channel.' },
      })
    }
    return next()
  })
})
transmit.authorize('jobs/:id', (ctx) => Boolean(ctx.auth.user))
