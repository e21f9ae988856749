/*
 * HTTP rate limiters, applied to routes as middleware.
 */

import limiter from '@adonisjs/limiter/services/main'

/** Sign-in attempts: 10 per minute per client address. */
export const signInThrottle = limiter.define('sign_in', (ctx) => {
  return limiter.allowRequests(10).every('1 minute').usingKey(`sign_in_${ctx.request.ip()}`)
})
