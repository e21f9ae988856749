import { randomBytes } from 'node:crypto'
import type { S3DestinationConfig, S3Secrets } from '../../src/destinations/index.js'
import { s3Service } from './service_env.js'

/** Builds a config and secrets for the s3 test service, under a fresh prefix. */
export function s3Destination(overrides: Partial<S3DestinationConfig> = {}) {
  const service = s3Service()
  const config: S3DestinationConfig = {
    kind: 's3',
    bucket: service.bucket,
    region: service.region,
    endpoint: service.endpoint,
    prefix: `run-${randomBytes(4).toString('hex')}/`,
    caCertificate: service.caCertificate,
    timeoutMs: 20_000,
    ...overrides,
  }
  const secrets: S3Secrets = {
    accessKeyId: service.accessKeyId,
    secretAccessKey: service.secretAccessKey,
  }
  return { service, config, secrets }
}
