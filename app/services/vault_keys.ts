/*
 * Key material of the vault: parsing MASTER_KEY, deriving the fallback key from APP_KEY, and
 * key ids. Kept free of application imports so start/env.ts can validate MASTER_KEY at boot.
 */

import { createHash, hkdfSync } from 'node:crypto'

/** Length in bytes of an AES-256 key. */
export const KEY_LENGTH = 32

/** HKDF info string for the key derived from APP_KEY; changing it makes stored secrets unreadable. */
const APP_KEY_INFO = 'coffer vault v1: master key derived from APP_KEY'

/** How to make a valid master key, repeated in every error about one. */
export const MAKE_KEY_HINT =
  'Generate one with "openssl rand -base64 32" or "node ace vault:generate-key".'

/** A vault key and its id (the first 8 hex digits of the key's sha256). */
export interface VaultKey {
  id: string
  key: Buffer
}

/** Returns the key id of raw key bytes: the first 8 hex digits of their sha256. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8)
}

/**
 * Parses a base64 master key of exactly 32 bytes. Throws an error naming the variable and how
 * to make a valid key when the value is not base64 or has another length.
 */
export function parseMasterKey(value: string, variable = 'MASTER_KEY'): VaultKey {
  const trimmed = value.trim()
  const isBase64 = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) && trimmed.length % 4 === 0
  if (!isBase64) {
    throw new Error(`${variable} is not valid base64. ${MAKE_KEY_HINT}`)
  }

  const key = Buffer.from(trimmed, 'base64')
  if (key.length !== KEY_LENGTH) {
    throw new Error(
      `${variable} decodes to ${key.length} bytes, but the vault needs exactly ${KEY_LENGTH}. ${MAKE_KEY_HINT}`
    )
  }

  return { id: keyIdOf(key), key }
}

/** Parses a comma-separated list of base64 master keys, such as MASTER_KEY_PREVIOUS. */
export function parseMasterKeyList(value: string, variable = 'MASTER_KEY_PREVIOUS'): VaultKey[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item, index) => parseMasterKey(item, `${variable} (entry ${index + 1})`))
}

/** Derives the vault key from APP_KEY with HKDF-SHA256, for installs without MASTER_KEY. */
export function deriveKeyFromAppKey(appKey: string): VaultKey {
  if (appKey.length === 0) {
    throw new Error(`APP_KEY is empty, so the vault has no key. Set APP_KEY or MASTER_KEY.`)
  }

  const derived = hkdfSync('sha256', Buffer.from(appKey, 'utf8'), Buffer.alloc(0), APP_KEY_INFO, 32)
  const key = Buffer.from(derived)

  return { id: keyIdOf(key), key }
}

/**
 * Builds an env validator for a master key variable: unset stays undefined, a malformed value
 * stops the boot with a message saying how to make one.
 */
export function masterKeyValidator(options: { list: boolean }) {
  return (name: string, value?: string): string | undefined => {
    if (value === undefined || value.trim() === '') {
      return undefined
    }

    if (options.list) {
      parseMasterKeyList(value, name)
    } else {
      parseMasterKey(value, name)
    }

    return value
  }
}
