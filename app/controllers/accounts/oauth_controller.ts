import type { HttpContext } from '@adonisjs/core/http'
import logger from '@adonisjs/core/services/logger'
import audit from '#services/audit'
import { AccountFlowError, resolveOauthAccount, signIn } from '#services/accounts'
import { OAUTH_LABELS, isOauthProvider, oauthDriver } from '#services/oauth_providers'

/** Sign-in with GitHub, Google and GitLab through Ally. */
export default class OauthController {
  /** Redirects to the provider's consent page. */
  async redirect(ctx: HttpContext) {
    const { params, response, session } = ctx
    const driver = isOauthProvider(params.provider) ? await oauthDriver(ctx, params.provider) : null
    if (!driver) {
      session.flash('error', `Sign-in with "${params.provider}" is not configured.`)
      return response.redirect('/login')
    }
    return driver.redirect()
  }

  /** Handles the provider's callback and maps the identity to an account. */
  async callback(ctx: HttpContext) {
    const { params, response, session } = ctx
    const provider = params.provider
    const driver = isOauthProvider(provider) ? await oauthDriver(ctx, provider) : null
    if (!driver || !isOauthProvider(provider)) {
      session.flash('error', `Sign-in with "${provider}" is not configured.`)
      return response.redirect('/login')
    }
    const label = OAUTH_LABELS[provider]

    const failure = async (message: string, reason: string) => {
      await audit.record(ctx, 'auth.sign_in_failed', { method: provider, reason })
      session.flash('error', message)
      return response.redirect('/login')
    }

    if (driver.accessDenied()) {
      return failure(`You cancelled the sign-in with ${label}.`, 'access_denied')
    }
    if (driver.stateMisMatch()) {
      return failure(
        `The sign-in with ${label} expired or came from another browser. Try again.`,
        'state_mismatch'
      )
    }
    if (driver.hasError()) {
      return failure(`${label} returned an error: ${driver.getError()}.`, 'provider_error')
    }

    let identity
    try {
      identity = await driver.user()
    } catch (error) {
      logger.warn({ err: error, provider }, 'OAuth token exchange or user lookup failed')
      return failure(
        `Coffer could not read your ${label} account. Try again later.`,
        'user_lookup_failed'
      )
    }

    try {
      const { user, via } = await resolveOauthAccount({
        email: identity.email,
        emailVerified: identity.emailVerificationState === 'verified',
        name: identity.name || null,
        provider: label,
      })
      if (via === 'invitation') {
        await audit.record(ctx, 'invitation.accepted', { method: provider, role: user.role }, user)
      }
      if (via === 'first_admin') {
        await audit.record(ctx, 'auth.registered', { method: provider, role: 'admin' }, user)
      }
      await signIn(ctx, user, provider)
      return response.redirect('/')
    } catch (error) {
      if (!(error instanceof AccountFlowError)) {
        throw error
      }
      return failure(error.message, 'no_matching_account')
    }
  }
}
