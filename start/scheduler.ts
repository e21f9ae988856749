/*
 * Starts the scheduler loop in the web server only (the `web` environment in adonisrc.ts), so
 * ace commands and tests never fire schedules; tests call `tick(now)` themselves.
 */

import app from '@adonisjs/core/services/app'
import { startSchedulerLoop, stopSchedulerLoop } from '#services/schedules/scheduler_loop'
import { settleAlertDeliveries } from '#services/alerts/raise_alert'

startSchedulerLoop()

app.terminating(async () => {
  await stopSchedulerLoop()
  await settleAlertDeliveries()
})
