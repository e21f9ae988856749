import type { HttpContext } from '@adonisjs/core/http'
import { errors as authErrors } from '@adonisjs/auth'
import User from '#models/user'
import audit from '#services/audit'
import mailer from '#services/mailer'
import { hasAnyUser, signIn } from '#services/accounts'
import { enabledOauthProviders, OAUTH_LABELS } from '#services/oauth_providers'
import { signInValidator } from '#validators/account_validators'

/** Signing in and out with email and password, and signing out everywhere. */
export default class SessionsController {
  /** Shows the sign-in form, or sends the visitor to sign-up while no account exists. */
  async create({ view, response }: HttpContext) {
    if (!(await hasAnyUser())) {
      return response.redirect('/register')
    }

    const providers = await enabledOauthProviders()
    return view.render('pages/auth/login', {
      providers: providers.map((name) => ({ name, label: OAUTH_LABELS[name] })),
      canResetPassword: await mailer.isVerified(),
    })
  }

  /** Checks the credentials, signs in, and records the attempt either way. */
  async store(ctx: HttpContext) {
    const { request, response, session } = ctx
    const { email, password } = await request.validateUsing(signInValidator)

    try {
      const user = await User.verifyCredentials(email, password)
      await signIn(ctx, user, 'password')
      return response.redirect('/')
    } catch (error) {
      if (!(error instanceof authErrors.E_INVALID_CREDENTIALS)) {
        throw error
      }
      await audit.record(ctx, 'auth.sign_in_failed', { email })
      session.flashExcept(['password'])
      session.flash('error', 'Invalid email or password.')
      return response.redirect('/login')
    }
  }

  /** Signs out of this browser. */
  async destroy({ auth, response, session }: HttpContext) {
    await auth.use('web').logout()
    session.flash('success', 'You are signed out.')
    return response.redirect('/login')
  }

  /** Ends every session of the signed-in user, including this one. */
  async destroyAll(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    user.endAllSessions()
    await user.save()
    await audit.record(ctx, 'auth.sign_out_everywhere')

    await ctx.auth.use('web').logout()
    ctx.session.flash('success', 'You are signed out on every device.')
    return ctx.response.redirect('/login')
  }
}
