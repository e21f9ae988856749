/*
 * Schedules of the panel: reading needs a signed-in user, changes need an admin.
 */

import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'

const SchedulesController = () => import('#controllers/panel/schedules_controller')

router
  .group(() => {
    router.get('/schedules', [SchedulesController, 'index']).as('schedules.index')
    router
      .post('/schedules', [SchedulesController, 'store'])
      .as('schedules.store')
      .use(middleware.role({ min: 'admin' }))
    router
      .post('/schedules/:id/toggle', [SchedulesController, 'toggle'])
      .as('schedules.toggle')
      .use(middleware.role({ min: 'admin' }))
    router
      .delete('/schedules/:id', [SchedulesController, 'destroy'])
      .as('schedules.destroy')
      .use(middleware.role({ min: 'admin' }))
  })
  .use(middleware.auth())
