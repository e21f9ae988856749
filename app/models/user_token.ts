import { DateTime } from 'luxon'
import { UserTokenSchema } from '#database/schema'

/** Purposes of mailed single-use tokens. */
export type UserTokenPurpose = 'password_reset' | 'email_verification'

/** Lifetimes of mailed tokens by purpose. */
export const USER_TOKEN_LIFETIME: Record<UserTokenPurpose, { hours: number }> = {
  password_reset: { hours: 1 },
  email_verification: { hours: 48 },
}

/** A single-use token mailed to a user (password reset, email verification), stored hashed. */
export default class UserToken extends UserTokenSchema {
  /** The id is a UUID made in the app, not by the database. */
  static selfAssignPrimaryKey = true

  /** Whether the token is unused and not expired. */
  get isUsable() {
    return this.usedAt === null && this.expiresAt > DateTime.now()
  }
}
