import { createPrivateKey } from 'node:crypto'
import ssh2 from 'ssh2'
import { DestinationError, errorMessage } from './destination_error.js'

/** A private key ready for ssh2 and for OpenSSH's `ssh -i`. */
export interface PreparedPrivateKey {
  /** Key text with `\n` line endings and a final newline, in a format both ssh2 and ssh read. */
  text: string
  passphrase?: string
}

/**
 * Prepares a pasted private key. It removes Windows line endings, trailing spaces and blank lines
 * around the key, and converts PKCS#8 PEM to the traditional PEM that ssh2 reads. It parses the
 * key once, so a wrong passphrase or a PuTTY key fails here with a clear message.
 */
export function preparePrivateKey(raw: string, passphrase?: string): PreparedPrivateKey {
  const lines = raw.replace(/\r\n?/g, '\n').split('\n')
  let text = lines
    .map((line) => line.trim())
    .join('\n')
    .trim()

  if (text.startsWith('PuTTY-User-Key-File-')) {
    throw new DestinationError(
      'INVALID_CONFIG',
      'the private key is a PuTTY .ppk key, which OpenSSH and restic cannot read: convert it with `puttygen key.ppk -O private-openssh -o key` and paste the converted key'
    )
  }

  if (/^-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
    text = convertPkcs8(text, passphrase)
  }

  const prepared: PreparedPrivateKey = { text: `${text}\n` }
  if (passphrase) {
    prepared.passphrase = passphrase
  }

  const parsed = ssh2.utils.parseKey(prepared.text, passphrase)
  if (parsed instanceof Error) {
    throw keyError(parsed, passphrase)
  }

  return prepared
}

function keyError(error: Error, passphrase: string | undefined): DestinationError {
  const message = error.message
  if (/no passphrase given/i.test(message)) {
    return new DestinationError(
      'INVALID_CONFIG',
      'the private key is encrypted: enter its passphrase in the destination settings'
    )
  }

  if (/bad passphrase|decrypt/i.test(message) && passphrase) {
    return new DestinationError(
      'INVALID_CONFIG',
      'the private key passphrase is wrong: check the passphrase in the destination settings'
    )
  }

  return new DestinationError(
    'INVALID_CONFIG',
    `the private key cannot be read (${message}): paste the whole key in OpenSSH or PEM format, including its BEGIN and END lines`,
    { cause: error }
  )
}

/** Converts a PKCS#8 RSA or ECDSA key to traditional PEM, encrypted again with the same passphrase. */
function convertPkcs8(text: string, passphrase: string | undefined): string {
  let key
  try {
    key = createPrivateKey({ key: text, format: 'pem', passphrase })
  } catch (error) {
    throw keyError(new Error(errorMessage(error)), passphrase)
  }

  const formats: Record<string, 'pkcs1' | 'sec1'> = { rsa: 'pkcs1', ec: 'sec1' }
  const type = formats[key.asymmetricKeyType ?? '']
  if (type === undefined) {
    throw new DestinationError(
      'INVALID_CONFIG',
      `the PKCS#8 private key has type ${key.asymmetricKeyType}, which only OpenSSH format supports: convert it with \`ssh-keygen -p -f key\` and paste the converted key`
    )
  }

  const encryption = passphrase ? { cipher: 'aes-256-cbc', passphrase } : {}
  return String(key.export({ type, format: 'pem', ...encryption })).trim()
}
