import db from '@adonisjs/lucid/services/db'
import type { DateTime } from 'luxon'

/**
 * Formats a time the way Lucid stores it on the default connection, for query-builder updates
 * and comparisons: SQLite keeps `yyyy-MM-dd HH:mm:ss` text, which sorts correctly as text,
 * PostgreSQL keeps timestamps with a zone.
 */
export function toDbTime(time: DateTime) {
  return time.toFormat(db.connection().dialect.dateTimeFormat)
}
