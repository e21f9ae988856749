/*
 * The agent API (docs/agent-api.md). Agents authenticate with bearer tokens, never sessions,
 * and CSRF checks do not apply to these routes.
 */

import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'

const EnrollmentsController = () => import('#controllers/agent_api/enrollments_controller')
const HeartbeatsController = () => import('#controllers/agent_api/heartbeats_controller')
const LeasesController = () => import('#controllers/agent_api/leases_controller')
const JobsController = () => import('#controllers/agent_api/jobs_controller')
const EnginesController = () => import('#controllers/agent_api/engines_controller')

router
  .group(() => {
    router.post('enroll', [EnrollmentsController, 'store']).as('enroll')

    router
      .group(() => {
        router.post('heartbeat', [HeartbeatsController, 'store']).as('heartbeat')
        router.post('lease', [LeasesController, 'store']).as('lease')
        router.post('jobs/:id/renew', [JobsController, 'renew']).as('jobs.renew')
        router.post('jobs/:id/events', [JobsController, 'events']).as('jobs.events')
        router.put('jobs/:id/upload', [JobsController, 'upload']).as('jobs.upload')
        router.post('jobs/:id/complete', [JobsController, 'complete']).as('jobs.complete')
        router.get('engines/:digest', [EnginesController, 'bundle']).as('engines.bundle')
        router
          .get('engines/:digest/signature', [EnginesController, 'signature'])
          .as('engines.signature')
      })
      .use(middleware.agentAuth())
  })
  .prefix('/api/agent')
  .as('agent_api')
