import { randomBytes } from 'node:crypto'
import type { SftpDestinationConfig, SftpSecrets } from '../../src/destinations/index.js'
import { sftpService } from './service_env.js'

/** Builds a config and key secrets for the sftp test service, rooted in a fresh folder of SFTP_ROOT. */
export function sftpDestination(overrides: Partial<SftpDestinationConfig> = {}) {
  const service = sftpService()
  const config: SftpDestinationConfig = {
    kind: 'sftp',
    host: service.host,
    port: service.port,
    username: service.user,
    path: `${service.root}/run-${randomBytes(4).toString('hex')}/nested/deeper`,
    hostKey: service.hostKey,
    timeoutMs: 15_000,
    ...overrides,
  }
  const secrets: SftpSecrets = { privateKey: service.privateKey }
  return { service, config, secrets }
}

/** Builds the same destination, reached through the jump host. */
export function sftpJumpDestination() {
  const { service, config, secrets } = sftpDestination()
  config.jump = {
    host: service.host,
    port: service.jumpPort,
    username: service.jumpUser,
    hostKey: service.jumpHostKey,
  }
  return { service, config, secrets }
}
