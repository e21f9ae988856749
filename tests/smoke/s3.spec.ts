import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { test } from '@japa/runner'
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { serviceEnv } from './service_env.js'

const variables = [
  'S3_ENDPOINT',
  'S3_REGION',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'S3_BUCKET',
  'S3_CA_FILE',
  'NODE_EXTRA_CA_CERTS',
] as const

type S3Env = Record<(typeof variables)[number], string>

/** Creates a client for the test server; Node trusts its certificate via NODE_EXTRA_CA_CERTS. */
function createClient(env: S3Env) {
  return new S3Client({
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY },
    // With the default (WHEN_SUPPORTED), streamed puts use aws-chunked encoding, which s3rver
    // stores with its chunk framing.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

/** Lists every key under a prefix, following continuation tokens, `pageSize` keys per request. */
async function listKeys(client: S3Client, bucket: string, prefix: string, pageSize = 1000) {
  const keys: string[] = []
  let token: string | undefined
  let pages = 0
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        MaxKeys: pageSize,
        ContinuationToken: token,
      })
    )
    keys.push(...(page.Contents ?? []).map((object) => object.Key!))
    token = page.IsTruncated ? page.NextContinuationToken : undefined
    pages++
  } while (token)
  return { keys, pages }
}

/** Runs restic with its secrets in the child's environment only; resolves with exit code and output. */
function runRestic(binary: string, args: string[], environment: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(binary, args, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

test.group('s3 service', () => {
  test('put, list and get object', async ({ assert, cleanup }) => {
    const env = serviceEnv('s3', variables)
    const client = createClient(env)
    cleanup(() => client.destroy())

    const prefix = `smoke-${randomBytes(6).toString('hex')}/`
    const content = randomBytes(256 * 1024)

    // A stream body of known length, the way uploads of artifacts are sent.
    await client.send(
      new PutObjectCommand({
        Bucket: env.S3_BUCKET,
        Key: `${prefix}object.bin`,
        Body: Readable.from([content.subarray(0, 1000), content.subarray(1000)]),
        ContentLength: content.length,
      })
    )

    const { keys } = await listKeys(client, env.S3_BUCKET, prefix)
    assert.deepEqual(keys, [`${prefix}object.bin`])

    const object = await client.send(
      new GetObjectCommand({ Bucket: env.S3_BUCKET, Key: `${prefix}object.bin` })
    )
    const body = Buffer.from(await object.Body!.transformToByteArray())
    assert.equal(body.length, content.length)
    assert.isTrue(body.equals(content))
  }).timeout(30_000)

  test('truncated list continues', async ({ assert, cleanup }) => {
    const env = serviceEnv('s3', variables)
    const client = createClient(env)
    cleanup(() => client.destroy())

    const prefix = `smoke-${randomBytes(6).toString('hex')}/`
    const expected = ['a', 'b', 'c', 'd', 'e'].map((name) => `${prefix}${name}`)
    for (const key of expected) {
      await client.send(new PutObjectCommand({ Bucket: env.S3_BUCKET, Key: key, Body: key }))
    }

    // Continuation tokens need s3rver to run with --openssl-legacy-provider.
    const { keys, pages } = await listKeys(client, env.S3_BUCKET, prefix, 2)
    assert.deepEqual(keys, expected)
    assert.equal(pages, 3)
  }).timeout(30_000)

  test('restic init on bucket', async ({ assert, cleanup }) => {
    const env = serviceEnv('s3', variables)
    const { RESTIC_BINARY } = serviceEnv('restic', ['RESTIC_BINARY'])
    const client = createClient(env)
    cleanup(() => client.destroy())

    const prefix = `smoke-restic-${randomBytes(6).toString('hex')}`
    const result = await runRestic(
      RESTIC_BINARY,
      [
        '-r',
        `s3:${env.S3_ENDPOINT}/${env.S3_BUCKET}/${prefix}`,
        '--cacert',
        env.S3_CA_FILE,
        'init',
      ],
      {
        AWS_ACCESS_KEY_ID: env.S3_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: env.S3_SECRET_ACCESS_KEY,
        RESTIC_PASSWORD: randomBytes(16).toString('hex'),
      }
    )
    assert.equal(result.code, 0, result.output)
    assert.match(result.output, /created restic repository/)

    const { keys } = await listKeys(client, env.S3_BUCKET, `${prefix}/`)
    assert.include(keys, `${prefix}/config`)
    assert.isTrue(keys.some((key) => key.startsWith(`${prefix}/keys/`)))
  }).timeout(60_000)
})
