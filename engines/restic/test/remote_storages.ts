import fs from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import type { Storage } from '@coffer/sdk'
import { openStorage } from '@coffer/agent/destinations'
import { requireEnv } from './helpers.js'

/**
 * Opens a folder with a random name on the SFTP test service, directly or through its jump
 * host, with the agent's SFTP driver.
 */
export async function openSftpStorage(label: string, viaJump = false): Promise<Storage> {
  const env = requireEnv('sftp', [
    'SFTP_HOST',
    'SFTP_PORT',
    'SFTP_USER',
    'SFTP_KEY_FILE',
    'SFTP_HOST_KEY_FILE',
    'SFTP_ROOT',
    'SFTP_JUMP_PORT',
    'SFTP_JUMP_USER',
    'SFTP_JUMP_HOST_KEY_FILE',
  ])
  const jump = viaJump
    ? {
        host: env.SFTP_HOST,
        port: Number(env.SFTP_JUMP_PORT),
        username: env.SFTP_JUMP_USER,
        hostKey: (await fs.readFile(env.SFTP_JUMP_HOST_KEY_FILE, 'utf8')).trim(),
      }
    : undefined

  return openStorage(
    {
      kind: 'sftp',
      host: env.SFTP_HOST,
      port: Number(env.SFTP_PORT),
      username: env.SFTP_USER,
      path: `${env.SFTP_ROOT}/${label}-${randomBytes(4).toString('hex')}`,
      hostKey: (await fs.readFile(env.SFTP_HOST_KEY_FILE, 'utf8')).trim(),
      jump,
    },
    { privateKey: await fs.readFile(env.SFTP_KEY_FILE, 'utf8') }
  )
}

/** Opens a prefix with a random name in the bucket of the S3 test service. */
export async function openS3Storage(label: string): Promise<Storage> {
  const env = requireEnv('s3', [
    'S3_ENDPOINT',
    'S3_REGION',
    'S3_ACCESS_KEY_ID',
    'S3_SECRET_ACCESS_KEY',
    'S3_BUCKET',
    'S3_CA_FILE',
  ])
  return openStorage(
    {
      kind: 's3',
      bucket: env.S3_BUCKET,
      region: env.S3_REGION,
      endpoint: env.S3_ENDPOINT,
      prefix: `${label}-${randomBytes(4).toString('hex')}/`,
      caCertificate: await fs.readFile(env.S3_CA_FILE, 'utf8'),
    },
    { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY }
  )
}
