import type { HttpContext } from '@adonisjs/core/http'
import logger from '@adonisjs/core/services/logger'
import AuditEvent from '#models/audit_event'

/** Names of the recorded security events. */
export type AuditEventName =
  | 'auth.sign_in'
  | 'auth.sign_in_failed'
  | 'auth.sign_out_everywhere'
  | 'auth.registered'
  | 'auth.password_reset_requested'
  | 'auth.password_reset'
  | 'auth.email_verified'
  | 'profile.updated'
  | 'user.role_changed'
  | 'user.removed'
  | 'invitation.created'
  | 'invitation.accepted'
  | 'invitation.revoked'
  | 'enrollment_token.revealed'
  | 'settings.changed'
  | 'secrets.rotated'
  | (string & {})

/** Detail keys that are dropped before storing, so a careless caller cannot store a secret. */
const SECRET_KEYS = /pass|secret|token|^key$|private_?key|api_?key|authorization|cookie/i

function withoutSecrets(details: Record<string, unknown>) {
  const safeDetails: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(details)) {
    if (SECRET_KEYS.test(key)) {
      continue
    }
    safeDetails[key] = value
  }
  return safeDetails
}

/** The audit log: stores security events with the acting user and client address. */
const audit = {
  /**
   * Records an event. `ctx` supplies the signed-in user and the client address; pass null
   * from commands. `details` must not contain secrets: keys that look like one are dropped.
   */
  async record(
    ctx: HttpContext | null,
    event: AuditEventName,
    details: Record<string, unknown> = {},
    actor?: { id: number; email: string } | null
  ) {
    const user = actor ?? ctx?.auth?.user ?? null

    try {
      await AuditEvent.create({
        event,
        actorId: user?.id ?? null,
        actorEmail: user?.email ?? null,
        ip: ctx ? ctx.request.ip() : null,
        details: JSON.stringify(withoutSecrets(details)),
      })
    } catch (error) {
      logger.error({ err: error, event }, 'audit event could not be stored')
      throw error
    }
  },
}

export default audit
