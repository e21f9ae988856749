import { AuditEventSchema } from '#database/schema'

/** A security event for the audit log. */
export default class AuditEvent extends AuditEventSchema {
  /** The details column parsed from JSON; an empty object when it is not valid JSON. */
  get detailsObject(): Record<string, unknown> {
    try {
      return JSON.parse(this.details)
    } catch {
      return {}
    }
  }
}
