/*
 * The controller's routes, one file per area.
 */

import './routes/panel.js'
import './routes/agent_api.js'
import './routes/accounts.js'
import './routes/schedules.js'
import './routes/coolify.js'
import './routes/alerts.js'
