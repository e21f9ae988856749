import { parsePublicKey, type PublicKeyInfo } from '@coffer/sdk'
import { FIRST_PARTY_PUBLIC_KEY } from './first_party_key.js'

/**
 * Builds the set of keys an engine bundle may be signed with: the first-party key built into the
 * agent plus the host owner's keys. Nothing the controller sends can add to it.
 */
export function buildTrustedKeys(
  extraKeys: PublicKeyInfo[],
  firstPartyKey = FIRST_PARTY_PUBLIC_KEY
): PublicKeyInfo[] {
  const keys = firstPartyKey === '' ? [] : [parsePublicKey(firstPartyKey)]
  const seen = new Set(keys.map((key) => key.keyId))

  for (const key of extraKeys) {
    if (!seen.has(key.keyId)) {
      seen.add(key.keyId)
      keys.push(key)
    }
  }

  return keys
}
