import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { Exception } from '@adonisjs/core/exceptions'
import { ROLES, type Role } from '#models/user'

/** Options of the `role` middleware: the least powerful role that may use the route. */
export interface RoleMiddlewareOptions {
  min: Role
}

/** Raised when a signed-in user's role is below the route's minimum. */
export class RoleRequiredException extends Exception {
  static status = 403
  static code = 'E_ROLE_REQUIRED'
}

/**
 * Lets a request through only for a signed-in user whose role is `min` or more powerful.
 * Visitors who are not signed in are redirected to /login (HTML) or get 401 (JSON); users
 * with a weaker role get 403. The route-by-role test reads `min` from each route.
 */
export default class RoleMiddleware {
  redirectTo = '/login'

  async handle(ctx: HttpContext, next: NextFn, options: RoleMiddlewareOptions) {
    if (!ROLES.includes(options?.min)) {
      throw new Exception(
        `The role middleware on ${ctx.request.method()} ${ctx.route?.pattern} has an invalid minimum role "${options?.min}". Use one of: ${ROLES.join(', ')}.`,
        { status: 500, code: 'E_ROLE_MIDDLEWARE_CONFIG' }
      )
    }

    await ctx.auth.authenticateUsing(undefined, { loginRoute: this.redirectTo })

    const user = ctx.auth.user!
    if (!user.hasRole(options.min)) {
      throw new RoleRequiredException(
        `This action needs the ${options.min} role; your account has the ${user.role} role. Ask an admin to change your role.`
      )
    }

    return next()
  }
}
