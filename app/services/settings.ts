import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Setting from '#models/setting'
import vault from '#services/vault'

/** Vault binding of a secret setting: the settings.value column of the row with that key. */
function bindingOf(key: string) {
  return { table: 'settings', column: 'value', rowId: key }
}

/**
 * Key/value settings changed from the panel. Plain values are stored as they are; secrets
 * go through the vault and are never returned by `get`.
 */
const settings = {
  /** Returns a plain setting, or `fallback` when it is unset. Secret settings return fallback. */
  async get(key: string, fallback: string | null = null): Promise<string | null> {
    const row = await Setting.find(key)
    if (!row || row.isSecret || row.value === null) {
      return fallback
    }
    return row.value
  },

  /** Returns several plain settings at once, keyed by name. */
  async getMany(keys: string[]): Promise<Record<string, string | null>> {
    const rows = keys.length ? await Setting.query().whereIn('key', keys) : []
    const values: Record<string, string | null> = {}
    for (const key of keys) {
      const row = rows.find((candidate) => candidate.key === key)
      values[key] = row && !row.isSecret ? row.value : null
    }
    return values
  },

  /** Stores a plain setting; null removes it. */
  async set(key: string, value: string | null, client?: TransactionClientContract) {
    if (value === null) {
      await Setting.query({ client }).where('key', key).delete()
      return
    }
    await Setting.updateOrCreate(
      { key },
      { value, isSecret: false },
      client ? { client } : undefined
    )
  },

  /** Returns a decrypted secret setting, or null when it is unset. */
  async getSecret(key: string): Promise<string | null> {
    const row = await Setting.find(key)
    if (!row || !row.isSecret || row.value === null) {
      return null
    }
    return vault.decrypt(row.value, bindingOf(key))
  },

  /** Returns whether a secret setting has a value, without decrypting it. */
  async hasSecret(key: string): Promise<boolean> {
    const row = await Setting.find(key)
    return Boolean(row && row.isSecret && row.value)
  },

  /** Encrypts and stores a secret setting; null removes it. */
  async setSecret(key: string, value: string | null, client?: TransactionClientContract) {
    if (value === null) {
      await Setting.query({ client }).where('key', key).delete()
      return
    }
    await Setting.updateOrCreate(
      { key },
      { value: vault.encrypt(value, bindingOf(key)), isSecret: true },
      client ? { client } : undefined
    )
  },
}

export default settings
