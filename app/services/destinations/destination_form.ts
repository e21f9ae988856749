import type { Infer } from '@vinejs/vine/types'
import type { destinationValidator } from '#validators/destination'

type DestinationInput = Infer<typeof destinationValidator>

/**
 * Splits the destination form into the driver configuration (stored in clear) and the driver
 * secrets (stored in the vault). Secret fields left empty keep the previous secret.
 */
export function buildDestinationSettings(
  input: DestinationInput,
  previousSecrets: Record<string, any> = {},
  previousConfig: Record<string, any> = {}
) {
  if (input.kind === 'local') {
    return { config: { kind: 'local', path: input.localPath! }, secrets: {} }
  }

  if (input.kind === 'sftp') {
    const sameServer =
      previousConfig.host === input.sftpHost &&
      (previousConfig.port ?? 22) === (input.sftpPort ?? 22)
    const config: Record<string, any> = {
      kind: 'sftp',
      host: input.sftpHost!,
      port: input.sftpPort ?? 22,
      username: input.sftpUsername!,
      path: input.sftpPath!,
      // A pinned host key belongs to one server; another address needs a new Test and accept.
      hostKey: sameServer ? previousConfig.hostKey : undefined,
      hostKeyFingerprint: sameServer ? previousConfig.hostKeyFingerprint : undefined,
    }
    if (input.sftpJumpHost) {
      const sameJump = previousConfig.jump?.host === input.sftpJumpHost
      config.jump = {
        host: input.sftpJumpHost,
        port: input.sftpJumpPort ?? 22,
        username: input.sftpJumpUsername || undefined,
        hostKey: sameJump ? previousConfig.jump?.hostKey : undefined,
        hostKeyFingerprint: sameJump ? previousConfig.jump?.hostKeyFingerprint : undefined,
      }
    }

    const secrets: Record<string, any> = {
      privateKey: input.sftpPrivateKey || previousSecrets.privateKey,
      passphrase: input.sftpPassphrase || previousSecrets.passphrase,
      password: input.sftpPassword || previousSecrets.password,
    }
    if (input.sftpJumpHost) {
      secrets.jump = {
        privateKey: input.sftpJumpPrivateKey || previousSecrets.jump?.privateKey,
        password: input.sftpJumpPassword || previousSecrets.jump?.password,
      }
    }
    return { config: withoutUndefined(config), secrets: withoutUndefined(secrets) }
  }

  const config = {
    kind: 's3',
    bucket: input.s3Bucket!,
    region: input.s3Region || 'us-east-1',
    endpoint: input.s3Endpoint || undefined,
    forcePathStyle: input.s3Endpoint ? (input.s3PathStyle ?? true) : (input.s3PathStyle ?? false),
    prefix: input.s3Prefix || undefined,
  }
  const secrets = {
    accessKeyId: input.s3AccessKeyId || previousSecrets.accessKeyId,
    secretAccessKey: input.s3SecretAccessKey || previousSecrets.secretAccessKey,
  }
  return { config: withoutUndefined(config), secrets: withoutUndefined(secrets) }
}

/** Tells which secret fields are set, for the form's "stored" hints, without their values. */
export function describeStoredSecrets(secrets: Record<string, any>) {
  return {
    privateKey: Boolean(secrets.privateKey),
    passphrase: Boolean(secrets.passphrase),
    password: Boolean(secrets.password),
    jumpPrivateKey: Boolean(secrets.jump?.privateKey),
    jumpPassword: Boolean(secrets.jump?.password),
    accessKeyId: Boolean(secrets.accessKeyId),
    secretAccessKey: Boolean(secrets.secretAccessKey),
  }
}

function withoutUndefined<T extends Record<string, any>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T
}
