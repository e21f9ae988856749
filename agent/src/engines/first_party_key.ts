/**
 * Public key of Coffer's own engine publisher (`ed25519:<base64 of the raw 32-byte key>`), trusted
 * on every host in addition to the keys the host owner adds with COFFER_TRUSTED_KEYS or
 * COFFER_TRUSTED_KEYS_FILE.
 *
 * NOTE: empty in the source tree, because the publisher's private key never lives in the
 * repository. A release build replaces this value with the release public key before building
 * the agent. A development build trusts only the keys the host owner adds.
 */
export const FIRST_PARTY_PUBLIC_KEY = ''
