import { readFileSync } from 'node:fs'

/**
 * Returns the named variables of a test service, failing with the command that starts it when
 * one is missing. The test runner sources `$COFFER_SERVICES_DIR/<service>.env` files.
 */
export function serviceEnv<Name extends string>(
  service: string,
  names: Name[]
): Record<Name, string> {
  const missing = names.filter((name) => !process.env[name])
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(', ')} not set: start the ${service} test service with \`scripts/services/${service}.sh start\` and source its .env file`
    )
  }

  return Object.fromEntries(names.map((name) => [name, process.env[name] as string])) as Record<
    Name,
    string
  >
}

/** Variables of the sftp service, with the key files read. */
export function sftpService() {
  const env = serviceEnv('sftp', [
    'SFTP_HOST',
    'SFTP_PORT',
    'SFTP_USER',
    'SFTP_KEY_FILE',
    'SFTP_PASSWORD',
    'SFTP_HOST_KEY_FILE',
    'SFTP_ROOT',
    'SFTP_CHROOT_USER',
    'SFTP_CHROOT_WRITABLE',
    'SFTP_JUMP_PORT',
    'SFTP_JUMP_USER',
    'SFTP_JUMP_HOST_KEY_FILE',
  ])

  return {
    host: env.SFTP_HOST,
    port: Number(env.SFTP_PORT),
    user: env.SFTP_USER,
    password: env.SFTP_PASSWORD,
    privateKey: readFileSync(env.SFTP_KEY_FILE, 'utf8'),
    keyFile: env.SFTP_KEY_FILE,
    hostKey: readFileSync(env.SFTP_HOST_KEY_FILE, 'utf8').trim(),
    root: env.SFTP_ROOT,
    chrootUser: env.SFTP_CHROOT_USER,
    chrootWritable: env.SFTP_CHROOT_WRITABLE,
    jumpPort: Number(env.SFTP_JUMP_PORT),
    jumpUser: env.SFTP_JUMP_USER,
    jumpHostKey: readFileSync(env.SFTP_JUMP_HOST_KEY_FILE, 'utf8').trim(),
  }
}

/** Variables of the s3 service, with the CA certificate read. */
export function s3Service() {
  const env = serviceEnv('s3', [
    'S3_ENDPOINT',
    'S3_REGION',
    'S3_ACCESS_KEY_ID',
    'S3_SECRET_ACCESS_KEY',
    'S3_BUCKET',
    'S3_CA_FILE',
  ])

  return {
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    bucket: env.S3_BUCKET,
    caFile: env.S3_CA_FILE,
    caCertificate: readFileSync(env.S3_CA_FILE, 'utf8'),
  }
}
