import type { HttpContext } from '@adonisjs/core/http'
import AuditEvent from '#models/audit_event'

/** The audit log page: security events, newest first, 50 per page. Admins only. */
export default class AuditController {
  async index({ view, request, bouncer }: HttpContext) {
    await bouncer.authorize('administer')

    const page = Math.max(1, Number(request.input('page', 1)) || 1)
    const event = request.input('event') || null
    const query = AuditEvent.query().orderBy('id', 'desc')
    if (event) {
      query.where('event', event)
    }
    const events = await query.paginate(page, 50)
    events.baseUrl('/audit')
    if (event) {
      events.queryString({ event })
    }

    return view.render('pages/audit/index', { events, event })
  }
}
