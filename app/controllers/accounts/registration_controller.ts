import type { HttpContext } from '@adonisjs/core/http'
import audit from '#services/audit'
import { AccountFlowError, hasAnyUser, registerFirstAdmin, signIn } from '#services/accounts'
import { registerValidator } from '#validators/account_validators'

/** Public sign-up, open only until the first account (the admin) exists. */
export default class RegistrationController {
  /** Shows the sign-up form, or says that sign-up is closed. */
  async create({ view }: HttpContext) {
    return view.render('pages/auth/register', { isOpen: !(await hasAnyUser()) })
  }

  /** Creates the first admin; rejects with 403 once any account exists. */
  async store(ctx: HttpContext) {
    const { request, response, session, view } = ctx
    if (await hasAnyUser()) {
      response.status(403)
      return view.render('pages/auth/register', { isOpen: false })
    }

    const input = await request.validateUsing(registerValidator)

    try {
      const user = await registerFirstAdmin({
        fullName: input.fullName,
        email: input.email,
        password: input.password,
      })
      await audit.record(ctx, 'auth.registered', { role: 'admin' }, user)
      await signIn(ctx, user, 'registration')
      session.flash('success', 'Your admin account is ready.')
      return response.redirect('/')
    } catch (error) {
      if (!(error instanceof AccountFlowError)) {
        throw error
      }
      response.status(403)
      return view.render('pages/auth/register', { isOpen: false, error: error.message })
    }
  }
}
