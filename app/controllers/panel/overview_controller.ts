import type { HttpContext } from '@adonisjs/core/http'
import { loadOverview } from '#services/overview'

/** The dashboard. */
export default class OverviewController {
  async show({ view }: HttpContext) {
    return view.render('pages/overview', await loadOverview())
  }
}
