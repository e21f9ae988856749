/*
 * The controller's routes, one file per area.
 */

import './routes/panel.js'
import './routes/agent_api.js'
