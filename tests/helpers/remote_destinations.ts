import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { openStorage } from '@coffer/agent/destinations'
import Destination from '#models/destination'
import type { BrowserSession } from '#tests/helpers/browser_session'
import { serviceEnv } from '#tests/smoke/service_env'

const run = promisify(execFile)

/**
 * Submits the destination form with `fields`, engine options named `engineOptions[name]`.
 * Returns the new destination's id.
 */
export async function addDestination(browser: BrowserSession, fields: Record<string, string>) {
  await browser.get('/destinations/create')
  const created = await browser.post('/destinations', fields)
  const id = /^\/destinations\/([0-9a-f-]{36})$/.exec(created.location ?? '')?.[1]
  if (!id) {
    const page = await browser.get(created.location ?? '/destinations/create')
    const flash = /role="alert">([^<]+)</.exec(page.text)?.[1]
    throw new Error(
      `Adding destination ${fields.name} failed (redirect to ${created.location}): ${flash ?? page.text.slice(0, 500)}`
    )
  }
  return id
}

/** Builds the form fields of an SFTP destination on the sftp test service, with key authentication. */
export async function sftpDestinationFields(folder: string) {
  const sftp = serviceEnv('sftp', [
    'SFTP_HOST',
    'SFTP_PORT',
    'SFTP_USER',
    'SFTP_KEY_FILE',
    'SFTP_ROOT',
  ])
  return {
    kind: 'sftp',
    sftpHost: sftp.SFTP_HOST,
    sftpPort: sftp.SFTP_PORT,
    sftpUsername: sftp.SFTP_USER,
    sftpPath: `${sftp.SFTP_ROOT}/${folder}`,
    sftpPrivateKey: await readFile(sftp.SFTP_KEY_FILE, 'utf8'),
  }
}

/** Builds the form fields of an S3 destination on the s3 test service, under a key prefix. */
export function s3DestinationFields(prefix: string) {
  const s3 = serviceEnv('s3', [
    'S3_ENDPOINT',
    'S3_REGION',
    'S3_BUCKET',
    'S3_ACCESS_KEY_ID',
    'S3_SECRET_ACCESS_KEY',
  ])
  return {
    kind: 's3',
    s3Bucket: s3.S3_BUCKET,
    s3Region: s3.S3_REGION,
    s3Endpoint: s3.S3_ENDPOINT,
    s3PathStyle: 'true',
    s3Prefix: prefix,
    s3AccessKeyId: s3.S3_ACCESS_KEY_ID,
    s3SecretAccessKey: s3.S3_SECRET_ACCESS_KEY,
  }
}

/** Presses Test on a destination page and returns the result the panel stored. */
export async function pressTest(browser: BrowserSession, destinationId: string) {
  await browser.get(`/destinations/${destinationId}`)
  await browser.post(`/destinations/${destinationId}/test`, {})
  const destination = await Destination.findOrFail(destinationId)
  if (!destination.lastTestResult) {
    throw new Error(`Test of destination ${destinationId} stored no result`)
  }
  return destination.lastTestResult
}

/** Returns the SHA256 fingerprint of a public key file, as `ssh-keygen -l` prints it. */
export async function publicKeyFingerprint(file: string) {
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', file])
  const fingerprint = /SHA256:\S+/.exec(stdout)?.[0]
  if (!fingerprint) {
    throw new Error(`ssh-keygen printed no SHA256 fingerprint for ${file}: ${stdout}`)
  }
  return fingerprint
}

/**
 * Pins an SFTP server's host key through the panel: Test reports the unknown key, the admin
 * compares its fingerprint with `expectedFingerprint` and accepts it. Throws when the first Test
 * does not offer a key or offers another one.
 */
export async function acceptSftpHostKey(
  browser: BrowserSession,
  destinationId: string,
  expectedFingerprint: string
) {
  const first = await pressTest(browser, destinationId)
  if (first.ok || !first.hostKey) {
    throw new Error(
      `Test of an unpinned SFTP destination offered no host key: ${JSON.stringify(first)}`
    )
  }
  if (first.fingerprint !== expectedFingerprint) {
    throw new Error(
      `Test offered host key ${first.fingerprint}, expected ${expectedFingerprint} from SFTP_HOST_KEY_FILE`
    )
  }

  await browser.get(`/destinations/${destinationId}`)
  await browser.post(`/destinations/${destinationId}/host-key`, {})
  const destination = await Destination.findOrFail(destinationId)
  if (destination.config.hostKeyFingerprint !== expectedFingerprint) {
    throw new Error(`Accepting the host key pinned ${destination.config.hostKeyFingerprint}`)
  }
}

/**
 * Stores a private certificate authority in an S3 destination's configuration, as
 * `caCertificate`. The agent trusts it for its own requests and hands it to restic.
 * NOTE: the destination form has no field for it, so this writes the record directly.
 */
export async function setS3CaCertificate(destinationId: string, caFile: string) {
  const destination = await Destination.findOrFail(destinationId)
  destination.config = { ...destination.config, caCertificate: await readFile(caFile, 'utf8') }
  await destination.save()
}

/** Deletes every object under `prefix` in the s3 test service's bucket. */
export async function removeS3Objects(prefix: string) {
  const s3 = serviceEnv('s3', [
    'S3_ENDPOINT',
    'S3_REGION',
    'S3_BUCKET',
    'S3_ACCESS_KEY_ID',
    'S3_SECRET_ACCESS_KEY',
    'S3_CA_FILE',
  ])
  const storage = openStorage(
    {
      kind: 's3',
      bucket: s3.S3_BUCKET,
      region: s3.S3_REGION,
      endpoint: s3.S3_ENDPOINT,
      forcePathStyle: true,
      prefix,
      caCertificate: await readFile(s3.S3_CA_FILE, 'utf8'),
    },
    { accessKeyId: s3.S3_ACCESS_KEY_ID, secretAccessKey: s3.S3_SECRET_ACCESS_KEY }
  )
  try {
    for (const object of await storage.list('')) {
      await storage.delete(object.key)
    }
  } finally {
    await storage.close()
  }
}
