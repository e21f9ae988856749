// Measures upload and download throughput of each destination driver with a 256 MiB object.
// Run after `npm run build -w agent`, with the sftp and s3 test services started and their .env
// files sourced: `node agent/bench/destinations.mjs [local|sftp|s3 ...]`. Not part of the tests.
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { openStorage } from '../dist/destinations/index.js'

const SIZE = 256 * 1024 * 1024
const CHUNK = 1024 * 1024

/** Returns the destinations to measure, built from the test services' variables. */
async function destinations(localFolder) {
  const env = process.env
  const list = {
    local: () => ({ config: { kind: 'local', path: join(localFolder, 'bench') }, secrets: {} }),
  }

  list.sftp = async () => ({
    config: {
      kind: 'sftp',
      host: env.SFTP_HOST,
      port: Number(env.SFTP_PORT),
      username: env.SFTP_USER,
      path: `${env.SFTP_ROOT}/bench-${randomBytes(4).toString('hex')}`,
      hostKey: (await readFile(env.SFTP_HOST_KEY_FILE, 'utf8')).trim(),
    },
    secrets: { privateKey: await readFile(env.SFTP_KEY_FILE, 'utf8') },
  })

  list.s3 = async () => ({
    config: {
      kind: 's3',
      bucket: env.S3_BUCKET,
      region: env.S3_REGION,
      endpoint: env.S3_ENDPOINT,
      prefix: `bench-${randomBytes(4).toString('hex')}/`,
      caCertificate: await readFile(env.S3_CA_FILE, 'utf8'),
    },
    secrets: { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY },
  })

  return list
}

/** Creates a stream of SIZE bytes that repeats one random 1 MiB block, so generation costs little. */
function body() {
  const block = randomBytes(CHUNK)
  let sent = 0
  return Readable.from(
    (function* () {
      while (sent < SIZE) {
        sent += CHUNK
        yield block
      }
    })()
  )
}

async function measure(name, make) {
  const { config, secrets } = await make()
  const storage = openStorage(config, secrets)
  try {
    let started = performance.now()
    await storage.put('bench.bin', body())
    const uploadSeconds = (performance.now() - started) / 1000

    started = performance.now()
    const hash = createHash('sha256')
    for await (const chunk of await storage.get('bench.bin')) {
      hash.update(chunk)
    }
    const downloadSeconds = (performance.now() - started) / 1000

    await storage.delete('bench.bin')
    const megabytes = SIZE / 1e6
    console.log(
      `${name.padEnd(6)} upload ${(megabytes / uploadSeconds).toFixed(1)} MB/s, download ${(megabytes / downloadSeconds).toFixed(1)} MB/s`
    )
  } catch (error) {
    console.log(`${name.padEnd(6)} failed: ${error.message}`)
  } finally {
    await storage.close()
  }
}

const localFolder = await mkdtemp(join(tmpdir(), 'coffer-bench-'))
try {
  const all = await destinations(localFolder)
  const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(all)
  console.log(`256 MiB object per driver, ${new Date().toISOString()}`)
  for (const name of names) {
    if (!all[name]) {
      console.log(`unknown driver ${name}: use local, sftp or s3`)
      continue
    }

    await measure(name, all[name])
  }
} finally {
  await rm(localFolder, { recursive: true, force: true })
}
