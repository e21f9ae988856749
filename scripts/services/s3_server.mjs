// S3-compatible server for the tests: s3rver over TLS on 127.0.0.1, started by s3.sh.
// It must run under `node --openssl-legacy-provider`, because s3rver encrypts ListObjectsV2
// continuation tokens with DES, which OpenSSL 3 offers only in its legacy provider.
//
// Configuration (environment):
//   S3_SERVER_DIRECTORY  folder that stores buckets and objects
//   S3_SERVER_CERT       PEM certificate for 127.0.0.1
//   S3_SERVER_KEY        PEM private key of that certificate
//   S3_SERVER_BUCKET     bucket created at start
//   S3_SERVER_PORT_FILE  file that receives the listening port once the server accepts requests
// s3rver accepts the access key id S3RVER with the secret access key S3RVER.

import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import S3rver from 's3rver'

/** Reads a required environment variable or exits with a message naming it. */
function requireEnv(name) {
  const value = process.env[name]
  if (!value) {
    console.error(`s3_server: missing environment variable ${name}; start it through s3.sh`)
    process.exit(2)
  }
  return value
}

const portFile = requireEnv('S3_SERVER_PORT_FILE')

const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  key: readFileSync(requireEnv('S3_SERVER_KEY')),
  cert: readFileSync(requireEnv('S3_SERVER_CERT')),
  directory: requireEnv('S3_SERVER_DIRECTORY'),
  configureBuckets: [{ name: requireEnv('S3_SERVER_BUCKET') }],
  silent: false,
})

const address = await server.run()

// The rename makes the port file appear whole, so s3.sh never reads a partial number.
writeFileSync(`${portFile}.tmp`, `${address.port}\n`)
renameSync(`${portFile}.tmp`, portFile)
console.log(`s3_server: listening on https://127.0.0.1:${address.port}`)

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    console.log(`s3_server: received ${signal}; closing`)
    server.close().finally(() => process.exit(0))
  })
}
