/*
 * The secret vault: AES-256-GCM encryption of every secret the controller stores.
 *
 * An envelope reads `v1:<keyId>:<base64 of iv | tag | ciphertext>`. The associated data binds
 * the ciphertext to its table, column and row, so a value copied to another row or column does
 * not decrypt. The current key encrypts. The current key, the keys in MASTER_KEY_PREVIOUS and
 * the key derived from APP_KEY all decrypt, which lets `node ace vault:rotate` move rows to a
 * new key while the application keeps running.
 */

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { Exception } from '@adonisjs/core/exceptions'
import env from '#start/env'
import {
  deriveKeyFromAppKey,
  parseMasterKey,
  parseMasterKeyList,
  type VaultKey,
} from '#services/vault_keys'

/** Version tag of the envelope format. */
export const ENVELOPE_VERSION = 'v1'

const IV_LENGTH = 12
const TAG_LENGTH = 16

/** Where an encrypted value lives; it becomes the associated data of the ciphertext. */
export interface VaultBinding {
  table: string
  column: string
  rowId: string | number
}

/**
 * A database column that holds vault envelopes. `vault:rotate` re-encrypts every registered
 * column. `where` limits the rows when a column mixes secrets and plain values.
 */
export interface EncryptedColumn {
  table: string
  column: string
  idColumn: string
  where?: Record<string, string | number | boolean>
}

/** Raised when a value cannot be encrypted or decrypted; `code` is stable for callers. */
export class VaultError extends Exception {
  static status = 500
}

/** Every column that stores vault envelopes. Modules that store secrets register theirs here. */
export const encryptedColumns: EncryptedColumn[] = [
  { table: 'settings', column: 'value', idColumn: 'key', where: { is_secret: true } },
]

/** Adds a column to the registry used by `vault:rotate`, once. */
export function registerEncryptedColumn(column: EncryptedColumn) {
  const exists = encryptedColumns.some(
    (entry) => entry.table === column.table && entry.column === column.column
  )
  if (!exists) {
    encryptedColumns.push(column)
  }
}

/** Returns whether a stored string looks like a vault envelope. */
export function isEnvelope(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(`${ENVELOPE_VERSION}:`)
}

function associatedData(keyId: string, binding: VaultBinding) {
  return Buffer.from(
    `coffer-vault:${ENVELOPE_VERSION}:${keyId}:${binding.table}:${binding.column}:${String(binding.rowId)}`,
    'utf8'
  )
}

function assertBinding(binding: VaultBinding) {
  const rowId = String(binding.rowId ?? '')
  if (!binding.table || !binding.column || rowId === '') {
    throw new VaultError(
      'Vault binding is incomplete: table, column and rowId are all required. Generate the row id before encrypting.',
      { code: 'E_VAULT_BINDING' }
    )
  }
}

/** Encrypts and decrypts secrets with a current key and a list of older keys. */
export class Vault {
  readonly current: VaultKey
  readonly #keys: Map<string, Buffer>

  constructor(current: VaultKey, previous: VaultKey[] = []) {
    this.current = current
    this.#keys = new Map([[current.id, current.key]])
    for (const key of previous) {
      if (!this.#keys.has(key.id)) {
        this.#keys.set(key.id, key.key)
      }
    }
  }

  /** Ids of every key this vault can decrypt with, the current one first. */
  get keyIds(): string[] {
    return [...this.#keys.keys()]
  }

  /** Encrypts `plaintext` under the current key, bound to the given row and column. */
  encrypt(plaintext: string, binding: VaultBinding): string {
    assertBinding(binding)

    const iv = randomBytes(IV_LENGTH)
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv)
    cipher.setAAD(associatedData(this.current.id, binding))
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    const payload = Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')

    return `${ENVELOPE_VERSION}:${this.current.id}:${payload}`
  }

  /**
   * Decrypts an envelope made for the same table, column and row. Throws a VaultError when the
   * envelope is malformed, its key is unknown, or it was tampered with or moved to another row.
   */
  decrypt(envelope: string, binding: VaultBinding): string {
    assertBinding(binding)

    const where = `${binding.table}.${binding.column} of row ${String(binding.rowId)}`
    const parts = typeof envelope === 'string' ? envelope.split(':') : []
    if (parts.length !== 3 || parts[0] !== ENVELOPE_VERSION) {
      throw new VaultError(`The value in ${where} is not a ${ENVELOPE_VERSION} vault envelope.`, {
        code: 'E_VAULT_MALFORMED',
      })
    }

    const [, keyId, payload] = parts
    const key = this.#keys.get(keyId)
    if (!key) {
      throw new VaultError(
        `The value in ${where} was encrypted with key ${keyId}, which this controller does not have. Add that key to MASTER_KEY_PREVIOUS.`,
        { code: 'E_VAULT_UNKNOWN_KEY' }
      )
    }

    const raw = Buffer.from(payload, 'base64')
    if (raw.length < IV_LENGTH + TAG_LENGTH) {
      throw new VaultError(`The value in ${where} is truncated.`, { code: 'E_VAULT_MALFORMED' })
    }

    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_LENGTH))
      decipher.setAAD(associatedData(keyId, binding))
      decipher.setAuthTag(raw.subarray(IV_LENGTH, IV_LENGTH + TAG_LENGTH))
      const plaintext = Buffer.concat([
        decipher.update(raw.subarray(IV_LENGTH + TAG_LENGTH)),
        decipher.final(),
      ])
      return plaintext.toString('utf8')
    } catch {
      throw new VaultError(
        `The value in ${where} failed authentication: it was changed or copied from another row.`,
        { code: 'E_VAULT_TAMPERED' }
      )
    }
  }

  /** Returns the key id of an envelope, or null when the value is not one. */
  keyIdOf(envelope: string): string | null {
    if (!isEnvelope(envelope)) {
      return null
    }
    return envelope.split(':')[1] ?? null
  }

  /** Returns whether an envelope was encrypted with another key than the current one. */
  needsRotation(envelope: string): boolean {
    const keyId = this.keyIdOf(envelope)
    return keyId !== null && keyId !== this.current.id
  }

  /** Decrypts with any known key and encrypts again under the current key. */
  reencrypt(envelope: string, binding: VaultBinding): string {
    return this.encrypt(this.decrypt(envelope, binding), binding)
  }
}

/**
 * Builds the vault from the environment: MASTER_KEY (or the APP_KEY-derived key) encrypts;
 * MASTER_KEY_PREVIOUS and the APP_KEY-derived key also decrypt.
 */
export function createVaultFromEnv(): Vault {
  const appKey = env.get('APP_KEY').release()
  const derived = deriveKeyFromAppKey(appKey)
  const masterKey = env.get('MASTER_KEY')?.release()
  const previousKeys = env.get('MASTER_KEY_PREVIOUS')?.release()

  const current = masterKey ? parseMasterKey(masterKey) : derived
  const previous = previousKeys ? parseMasterKeyList(previousKeys) : []

  return new Vault(current, [...previous, derived])
}

let instance: Vault | undefined

/** The application's vault, built from the environment on first use. */
const vault = {
  get instance(): Vault {
    instance ??= createVaultFromEnv()
    return instance
  },
  encrypt(plaintext: string, binding: VaultBinding) {
    return this.instance.encrypt(plaintext, binding)
  },
  decrypt(envelope: string, binding: VaultBinding) {
    return this.instance.decrypt(envelope, binding)
  },
  needsRotation(envelope: string) {
    return this.instance.needsRotation(envelope)
  },
  reencrypt(envelope: string, binding: VaultBinding) {
    return this.instance.reencrypt(envelope, binding)
  },
  /** Replaces the vault, for tests that rotate keys in-process. */
  use(replacement: Vault | undefined) {
    instance = replacement
  },
}

export default vault
