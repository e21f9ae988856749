/*
 * Pages of the panel: overview, resources, snapshots, destinations, agents, engines.
 */

import router from '@adonisjs/core/services/router'

router.on('/').render('pages/home').as('home')
