import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import logger from '@adonisjs/core/services/logger'

/** Session key holding the user's session_version at sign-in. */
export const SESSION_VERSION_KEY = 'session_version'

/**
 * Loads the signed-in user, if any, and ends the session when the user's session_version no
 * longer matches the one stored at sign-in. Bumping users.session_version (sign out everywhere,
 * role change, removal) therefore ends every session of that user on their next request.
 */
export default class SessionVersionMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const isSignedIn = await ctx.auth.use('web').check()
    if (!isSignedIn) {
      return next()
    }

    const user = ctx.auth.use('web').user!
    const stored = ctx.session.get(SESSION_VERSION_KEY)
    if (stored !== user.sessionVersion) {
      logger.info(
        { userId: user.id },
        'session ended: the account signed out everywhere or changed'
      )
      await ctx.auth.use('web').logout()
      ctx.session.forget(SESSION_VERSION_KEY)
    }

    return next()
  }
}
