import { column } from '@adonisjs/lucid/orm'

/**
 * Declares a column stored as JSON text, so the same schema works on SQLite and PostgreSQL. The models of
 * tables with JSON columns extend BaseModel directly instead of the generated schema classes,
 * which type these columns as plain strings.
 */
export function jsonColumn(options: { serializeAs?: string | null } = {}) {
  return column({
    ...options,
    prepare: (value: unknown) =>
      value === null || value === undefined ? null : JSON.stringify(value),
    consume: (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : (value ?? null)),
  })
}

/** A boolean column; SQLite returns 0 and 1. */
export function booleanColumn() {
  return column({ consume: (value: unknown) => Boolean(value) })
}
