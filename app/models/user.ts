import { UserSchema } from '#database/schema'
import hash from '@adonisjs/core/services/hash'
import { compose } from '@adonisjs/core/helpers'
import { withAuthFinder } from '@adonisjs/auth/mixins/lucid'

/** Roles in increasing order of power: each role can do everything the previous one can. */
export const ROLES = ['viewer', 'operator', 'admin'] as const

export type Role = (typeof ROLES)[number]

/** An account of the panel. */
export default class User extends compose(UserSchema, withAuthFinder(hash)) {
  /** Whether the user's role is `role` or a more powerful one. */
  hasRole(role: Role) {
    return ROLES.indexOf(this.role as Role) >= ROLES.indexOf(role)
  }
}
