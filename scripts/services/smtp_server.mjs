// SMTP server for the tests, started by smtp.sh: accepts every message on 127.0.0.1 and writes
// each one, unchanged, as one .eml file in the mailbox folder.
//
// Configuration (environment):
//   SMTP_SERVER_MAILBOX_DIR  folder that receives one <time>-<id>.eml file per message
//   SMTP_SERVER_PASSWORD     password that AUTH PLAIN and AUTH LOGIN accept for any user name;
//                            unauthenticated mail is accepted as well
//   SMTP_SERVER_PORT_FILE    file that receives the listening port once the server accepts mail
// The server offers no STARTTLS, so clients must connect without TLS (`secure: false`,
// `ignoreTLS: true` in nodemailer).

import { createWriteStream, renameSync, rmSync, writeFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { SMTPServer } from 'smtp-server'

/** Reads a required environment variable or exits with a message naming it. */
function requireEnv(name) {
  const value = process.env[name]
  if (!value) {
    console.error(`smtp_server: missing environment variable ${name}; start it through smtp.sh`)
    process.exit(2)
  }
  return value
}

const mailboxDir = requireEnv('SMTP_SERVER_MAILBOX_DIR')
const password = requireEnv('SMTP_SERVER_PASSWORD')
const portFile = requireEnv('SMTP_SERVER_PORT_FILE')

/** Stores one message: written under a temporary name, renamed to .eml once complete. */
async function storeMessage(stream, session) {
  const name = `${Date.now()}-${randomUUID()}`
  const partial = join(mailboxDir, `.${name}.partial`)
  await pipeline(stream, createWriteStream(partial, { mode: 0o644 }))

  if (stream.sizeExceeded) {
    rmSync(partial, { force: true })
    throw new Error('message exceeds the maximum size')
  }

  renameSync(partial, join(mailboxDir, `${name}.eml`))
  const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address).join(', ')
  console.log(
    `smtp_server: stored ${name}.eml from ${session.envelope.mailFrom.address} to ${recipients}`
  )
}

const server = new SMTPServer({
  secure: false,
  disabledCommands: ['STARTTLS'],
  authMethods: ['PLAIN', 'LOGIN'],
  authOptional: true,
  allowInsecureAuth: true,
  size: 50 * 1024 * 1024,
  logger: false,

  onAuth(auth, _session, callback) {
    if (auth.password !== password) {
      console.log(`smtp_server: rejected AUTH ${auth.method} for ${auth.username}: wrong password`)
      callback(new Error('Invalid username or password'))
      return
    }
    callback(null, { user: auth.username })
  },

  onData(stream, session, callback) {
    storeMessage(stream, session).then(
      () => callback(),
      (error) => {
        console.error(`smtp_server: failed to store a message: ${error.message}`)
        callback(error)
      }
    )
  },
})

server.on('error', (error) => {
  console.error(`smtp_server: ${error.message}`)
})

server.listen(0, '127.0.0.1', () => {
  const { port } = server.server.address()
  writeFileSync(`${portFile}.tmp`, `${port}\n`)
  renameSync(`${portFile}.tmp`, portFile)
  console.log(`smtp_server: listening on 127.0.0.1:${port}`)
})

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    console.log(`smtp_server: received ${signal}; closing`)
    server.close(() => process.exit(0))
  })
}
