import { UserSchema } from '#database/schema'
import hash from '@adonisjs/core/services/hash'
import { compose } from '@adonisjs/core/helpers'
import { withAuthFinder } from '@adonisjs/auth/mixins/lucid'

/** Roles in increasing order of power: each role can do everything the previous one can. */
export const ROLES = ['viewer', 'operator', 'admin'] as const

export type Role = (typeof ROLES)[number]

/** An account of the panel. */
export default class User extends compose(
  UserSchema,
  withAuthFinder(hash, { uids: ['email'], passwordColumnName: 'password' })
) {
  /** Whether the user's role is `role` or a more powerful one. */
  hasRole(role: Role) {
    return ROLES.indexOf(this.role as Role) >= ROLES.indexOf(role)
  }

  /** The name shown in the panel: the full name, or the email when no name is set. */
  get displayName() {
    return this.fullName || this.email
  }

  /** Ends every session of the user on their next request, by bumping session_version. */
  endAllSessions() {
    this.sessionVersion = (this.sessionVersion ?? 1) + 1
  }

  /** Normalizes an email for storage and lookups: trimmed and lower-case. */
  static normalizeEmail(email: string) {
    return email.trim().toLowerCase()
  }

  /** Counts the admins, to protect the last one from demotion and removal. */
  static async countAdmins(client?: Parameters<typeof User.query>[0]) {
    const row = await User.query(client).where('role', 'admin').count('* as total').first()
    return Number(row?.$extras.total ?? 0)
  }
}
