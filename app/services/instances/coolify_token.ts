import vault, { registerEncryptedColumn } from '#services/vault'
import type Instance from '#models/instance'

registerEncryptedColumn({ table: 'instances', column: 'coolify_token', idColumn: 'id' })

/** Encrypts a Coolify API token into the instance row. */
export function writeCoolifyToken(instance: Instance, token: string) {
  instance.coolifyToken = vault.encrypt(token, {
    table: 'instances',
    column: 'coolify_token',
    rowId: instance.id,
  })
}

/** Decrypts an instance's Coolify API token, or returns null when none is set. */
export function readCoolifyToken(instance: Instance) {
  if (!instance.coolifyToken) {
    return null
  }
  return vault.decrypt(instance.coolifyToken, {
    table: 'instances',
    column: 'coolify_token',
    rowId: instance.id,
  })
}
