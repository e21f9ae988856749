/*
 * Alerts and the backup settings (timezone, webhook). Reading needs a signed-in user; changes
 * and test alerts need an admin.
 */

import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'

const AlertsController = () => import('#controllers/panel/alerts_controller')

router
  .group(() => {
    router.get('/alerts', [AlertsController, 'index']).as('alerts.index')
    router.get('/settings/backups', [AlertsController, 'settings']).as('backup_settings.show')
    router
      .post('/settings/backups', [AlertsController, 'updateSettings'])
      .as('backup_settings.update')
      .use(middleware.role({ min: 'admin' }))
    router
      .post('/alerts/test', [AlertsController, 'test'])
      .as('alerts.test')
      .use(middleware.role({ min: 'admin' }))
  })
  .use(middleware.auth())
