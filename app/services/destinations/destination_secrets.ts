import vault, { registerEncryptedColumn } from '#services/vault'
import type Destination from '#models/destination'

registerEncryptedColumn({ table: 'destinations', column: 'secrets', idColumn: 'id' })
registerEncryptedColumn({ table: 'destinations', column: 'engine_secrets', idColumn: 'id' })

type SecretColumn = 'secrets' | 'engine_secrets'

const PROPERTY: Record<SecretColumn, 'secrets' | 'engineSecrets'> = {
  secrets: 'secrets',
  engine_secrets: 'engineSecrets',
}

/** Decrypts one of a destination's secret columns into an object of strings. */
export function readDestinationSecrets(destination: Destination, column: SecretColumn) {
  const envelope = destination[PROPERTY[column]]
  if (!envelope) {
    return {} as Record<string, string>
  }

  const plaintext = vault.decrypt(envelope, {
    table: 'destinations',
    column,
    rowId: destination.id,
  })
  return JSON.parse(plaintext) as Record<string, string>
}

/**
 * Encrypts an object of secrets into one of a destination's secret columns. The destination
 * needs its id already (UUIDs are assigned before insert).
 */
export function writeDestinationSecrets(
  destination: Destination,
  column: SecretColumn,
  secrets: Record<string, string>
) {
  destination[PROPERTY[column]] = vault.encrypt(JSON.stringify(secrets), {
    table: 'destinations',
    column,
    rowId: destination.id,
  })
}
