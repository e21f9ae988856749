/*
 * Coolify connection and sync, and the Verify button of destinations. Connecting needs an admin;
 * syncing and verifying change no setting, so operators may run them.
 */

import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'

const CoolifyController = () => import('#controllers/panel/coolify_controller')

router
  .group(() => {
    router
      .post('/instances/:id/coolify', [CoolifyController, 'connect'])
      .as('coolify.connect')
      .use(middleware.role({ min: 'admin' }))
    router
      .post('/instances/:id/coolify/sync', [CoolifyController, 'sync'])
      .as('coolify.sync')
      .use(middleware.role({ min: 'operator' }))
    router
      .post('/destinations/:id/verify', [CoolifyController, 'verifyDestination'])
      .as('destinations.verify')
      .use(middleware.role({ min: 'operator' }))
  })
  .use(middleware.auth())
