import { DateTime } from 'luxon'
import { InvitationSchema } from '#database/schema'

/** How long an invitation link stays valid. */
export const INVITATION_LIFETIME = { hours: 48 }

/** An invitation to join with a role, bound to one email; only the token's sha256 is stored. */
export default class Invitation extends InvitationSchema {
  /** The id is a UUID made in the app, not by the database. */
  static selfAssignPrimaryKey = true

  /** Pending, accepted, revoked or expired, for the users page. */
  get status(): 'pending' | 'accepted' | 'revoked' | 'expired' {
    if (this.acceptedAt) return 'accepted'
    if (this.revokedAt) return 'revoked'
    if (this.expiresAt <= DateTime.now()) return 'expired'
    return 'pending'
  }

  /** Whether the invitation can still be accepted. */
  get isPending() {
    return this.status === 'pending'
  }
}
