import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3'
import type { S3Client } from '@aws-sdk/client-s3'
import type {
  ResticRepositoryLocation,
  Storage,
  StorageCallOptions,
  StorageObject,
  StorageRange,
} from '@coffer/sdk'
import type { S3DestinationConfig, S3Secrets } from './config.js'
import { DestinationError, isDestinationError } from './destination_error.js'
import { createS3Client, deadlineSignal, DEFAULT_S3_TIMEOUT_MS } from './s3_client.js'
import { mapS3Error } from './s3_errors.js'
import { uploadStream } from './s3_upload.js'
import { assertStorageKey } from './storage_key.js'

/** Slowest transfer rate a request body may have before its deadline fires, in bytes per second. */
const MIN_UPLOAD_RATE = 256 * 1024

/** Storage in an S3 bucket (AWS or S3-compatible), under an optional key prefix. */
export class S3Storage implements Storage {
  readonly kind = 's3'
  readonly #config: S3DestinationConfig
  readonly #secrets: S3Secrets
  readonly #client: S3Client
  readonly #prefix: string
  readonly #timeoutMs: number
  #caFolder: string | null = null

  constructor(config: S3DestinationConfig, secrets: S3Secrets) {
    this.#config = config
    this.#secrets = secrets
    this.#client = createS3Client(config, secrets)
    this.#timeoutMs = config.timeoutMs ?? DEFAULT_S3_TIMEOUT_MS

    const prefix = (config.prefix ?? '').replace(/^\/+/, '')
    this.#prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`
  }

  /** The endpoint as shown in messages. */
  get endpoint(): string {
    return this.#config.endpoint ?? `https://s3.${this.#config.region}.amazonaws.com`
  }

  async put(
    key: string,
    body: Readable,
    options: StorageCallOptions = {}
  ): Promise<{ size: number }> {
    assertStorageKey(key)
    const fullKey = this.#prefix + key

    let size: number
    try {
      size = await uploadStream(
        {
          client: this.#client,
          bucket: this.#config.bucket,
          key: fullKey,
          requestSignal: (bytes) =>
            deadlineSignal(this.#timeoutMs + (bytes / MIN_UPLOAD_RATE) * 1000, options.signal),
        },
        body
      )
    } catch (error) {
      body.destroy()
      throw this.#mapError(error, `upload of ${key}`, key, options.signal)
    }

    const stored = await this.stat(key, options)
    if (stored?.size !== size) {
      // Remove the wrong object so that no reader trusts it.
      await this.delete(key).catch(() => undefined)
      throw new DestinationError(
        'SIZE_MISMATCH',
        `bucket ${this.#config.bucket} stored ${stored?.size ?? 'no'} bytes for ${key} but ${size} were sent: retry the upload`,
        { details: { path: key } }
      )
    }

    return { size }
  }

  async get(
    key: string,
    options: StorageCallOptions & { range?: StorageRange } = {}
  ): Promise<Readable> {
    assertStorageKey(key)
    const range = options.range
    if (range?.length === 0) {
      await this.#requireObject(key, options.signal)
      return Readable.from([])
    }

    const rangeHeader = range
      ? `bytes=${range.offset}-${range.length === undefined ? '' : range.offset + range.length - 1}`
      : undefined
    const response = await this.#call(`download of ${key}`, key, options.signal, (signal) =>
      this.#client.send(
        new GetObjectCommand({
          Bucket: this.#config.bucket,
          Key: this.#prefix + key,
          Range: rangeHeader,
        }),
        { abortSignal: signal }
      )
    ).catch((error) => {
      if (
        isDestinationError(error) &&
        range &&
        (error.cause as { name?: string })?.name === 'InvalidRange'
      ) {
        return null
      }

      throw error
    })

    if (response === null) {
      // A range that starts at or after the end of the object reads nothing, as on the other drivers.
      return Readable.from([])
    }

    const body = response.Body
    if (!(body instanceof Readable)) {
      throw new DestinationError('FAILED', `S3 download of ${key} returned no readable body`)
    }

    options.signal?.addEventListener('abort', () => body.destroy(options.signal?.reason), {
      once: true,
    })
    return body
  }

  async list(prefix: string, options: StorageCallOptions = {}): Promise<StorageObject[]> {
    assertStorageKey(prefix, true)
    const objects: StorageObject[] = []
    let continuationToken: string | undefined

    do {
      const page = await this.#call(
        `list of ${prefix || '(all)'}`,
        prefix,
        options.signal,
        (signal) =>
          this.#client.send(
            new ListObjectsV2Command({
              Bucket: this.#config.bucket,
              Prefix: this.#prefix + prefix,
              ContinuationToken: continuationToken,
            }),
            { abortSignal: signal }
          )
      )

      for (const item of page.Contents ?? []) {
        if (item.Key === undefined || !item.Key.startsWith(this.#prefix)) {
          continue
        }

        objects.push({
          key: item.Key.slice(this.#prefix.length),
          size: item.Size ?? 0,
          modifiedAt: item.LastModified ?? new Date(0),
        })
      }

      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (continuationToken)

    return objects
  }

  async stat(key: string, options: StorageCallOptions = {}): Promise<StorageObject | null> {
    assertStorageKey(key)

    try {
      const head = await this.#call(`metadata read of ${key}`, key, options.signal, (signal) =>
        this.#client.send(
          new HeadObjectCommand({ Bucket: this.#config.bucket, Key: this.#prefix + key }),
          {
            abortSignal: signal,
          }
        )
      )
      return { key, size: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) }
    } catch (error) {
      if (isDestinationError(error, 'NOT_FOUND')) {
        return null
      }

      throw error
    }
  }

  async delete(key: string, options: StorageCallOptions = {}): Promise<void> {
    assertStorageKey(key)
    await this.#call(`delete of ${key}`, key, options.signal, (signal) =>
      this.#client.send(
        new DeleteObjectCommand({ Bucket: this.#config.bucket, Key: this.#prefix + key }),
        {
          abortSignal: signal,
        }
      )
    )
  }

  /**
   * Describes a restic repository under `key`. A private CA certificate goes to a file in a
   * private folder, named in SSL_CERT_FILE. restic reads that file in place of the system
   * certificates (Go's crypto/x509 on Linux), because restic 0.14 has no variable for `--cacert`.
   */
  async resticLocation(key: string): Promise<ResticRepositoryLocation> {
    assertStorageKey(key)
    const endpoint = this.endpoint.replace(/\/+$/, '')
    const environment: Record<string, string> = {
      AWS_ACCESS_KEY_ID: this.#secrets.accessKeyId ?? '',
      AWS_SECRET_ACCESS_KEY: this.#secrets.secretAccessKey ?? '',
    }
    if (this.#secrets.sessionToken) {
      environment.AWS_SESSION_TOKEN = this.#secrets.sessionToken
    }

    if (this.#config.caCertificate) {
      this.#caFolder ??= await mkdtemp(join(tmpdir(), 'coffer-s3-'))
      await chmod(this.#caFolder, 0o700)
      const caFile = join(this.#caFolder, 'ca.pem')
      await writeFile(caFile, this.#config.caCertificate, { mode: 0o600 })
      environment.SSL_CERT_FILE = caFile
    }

    const pathStyle = this.#config.forcePathStyle ?? this.#config.endpoint !== undefined
    return {
      repository: `s3:${endpoint}/${this.#config.bucket}/${this.#prefix}${key}`,
      environment,
      options: [
        `s3.region=${this.#config.region}`,
        `s3.bucket-lookup=${pathStyle ? 'path' : 'dns'}`,
      ],
    }
  }

  async close(): Promise<void> {
    this.#client.destroy()
    if (this.#caFolder) {
      await rm(this.#caFolder, { recursive: true, force: true })
      this.#caFolder = null
    }
  }

  async #requireObject(key: string, signal?: AbortSignal): Promise<void> {
    const found = await this.stat(key, { signal })
    if (found === null) {
      throw new DestinationError(
        'NOT_FOUND',
        `object ${key} not found in bucket ${this.#config.bucket}`,
        {
          details: { path: key },
        }
      )
    }
  }

  async #call<T>(
    operation: string,
    key: string,
    signal: AbortSignal | undefined,
    call: (signal: AbortSignal) => Promise<T>
  ) {
    const deadline = deadlineSignal(this.#timeoutMs, signal)
    try {
      return await call(deadline.signal)
    } catch (error) {
      throw this.#mapError(error, operation, key, signal, deadline.timedOut)
    } finally {
      deadline.clear()
    }
  }

  #mapError(
    error: unknown,
    operation: string,
    key: string,
    signal?: AbortSignal,
    timedOut = false
  ) {
    if (signal?.aborted && !timedOut) {
      return new DestinationError('CANCELLED', `S3 ${operation} was cancelled`, { cause: error })
    }

    return mapS3Error(error, {
      operation,
      bucket: this.#config.bucket,
      endpoint: this.endpoint,
      key,
      timedOut,
    })
  }
}
