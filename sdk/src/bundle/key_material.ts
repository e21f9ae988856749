// Guards that keep key material out of error messages when a key's text is passed where a path or
// a one-line public key belongs, as `--key="$(cat key.pem)"` does.

/** Placeholder for key material removed from a message. */
export const HIDDEN_KEY = '[key material hidden]'

// From a PEM header to its footer, or to the end of the text when the footer is missing.
const PEM_BLOCK = /-----BEGIN[\s\S]*?(?:-----END[^-\n]*-----|$)/g

/** Tells whether a value meant to be a path or a one-line key is key text: a PEM header or a line break. */
export function looksLikeKeyMaterial(value: string): boolean {
  return value.includes('-----BEGIN') || /[\r\n]/.test(value)
}

/** Replaces every PEM block in `text` with `[key material hidden]`. */
export function hideKeyMaterial(text: string): string {
  return text.replace(PEM_BLOCK, HIDDEN_KEY)
}
