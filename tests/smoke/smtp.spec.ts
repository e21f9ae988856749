import { randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from '@japa/runner'
import { simpleParser, type ParsedMail } from 'mailparser'
import nodemailer from 'nodemailer'
import { smtpServer } from '#tests/helpers/mailbox'

type SmtpServer = ReturnType<typeof smtpServer>

/** Creates a transport without TLS, because the test server offers no STARTTLS. */
function createTransport(server: SmtpServer, auth?: { user: string; pass: string }) {
  return nodemailer.createTransport({
    host: server.host,
    port: server.port,
    secure: false,
    ignoreTLS: true,
    auth,
  })
}

/**
 * Returns the password of the test server's AUTH. tests/bootstrap.ts removes SMTP_* from the
 * environment and keeps the server's values, which `smtpServer()` returns.
 */
function requirePassword(server: SmtpServer): string {
  if (!server.password) {
    throw new Error(
      'SMTP_PASSWORD is missing: run "scripts/services/smtp.sh start" and source $COFFER_SERVICES_DIR/smtp.env before the tests'
    )
  }
  return server.password
}

/** Waits up to 10 s for a message with the subject to appear in the mailbox, and parses it. */
async function findMessage(mailboxDir: string, subject: string): Promise<ParsedMail> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const names = await readdir(mailboxDir)
    for (const name of names.filter((entry) => entry.endsWith('.eml'))) {
      const raw = await readFile(join(mailboxDir, name))
      if (raw.includes(subject)) {
        return simpleParser(raw)
      }
    }
    await sleep(200)
  }
  throw new Error(`no message with subject "${subject}" in ${mailboxDir} after 10 s`)
}

test.group('smtp service', () => {
  test('deliver without auth', async ({ assert, cleanup }) => {
    const server = smtpServer()
    const transport = createTransport(server)
    cleanup(() => transport.close())

    const subject = `Coffer smoke ${randomBytes(8).toString('hex')}`
    const text = `Body ${randomBytes(16).toString('hex')}`
    const info = await transport.sendMail({
      from: 'coffer@example.test',
      to: 'admin@example.test',
      subject,
      text,
    })
    assert.deepEqual(info.accepted, ['admin@example.test'])

    const message = await findMessage(server.mailboxDir, subject)
    assert.equal(message.subject, subject)
    assert.equal(message.from?.value[0].address, 'coffer@example.test')
    assert.equal(message.text?.trim(), text)
  }).timeout(30_000)

  test('deliver with auth', async ({ assert, cleanup }) => {
    const server = smtpServer()
    const transport = createTransport(server, { user: 'coffer', pass: requirePassword(server) })
    cleanup(() => transport.close())

    const subject = `Coffer smoke auth ${randomBytes(8).toString('hex')}`
    await transport.sendMail({
      from: 'coffer@example.test',
      to: 'operator@example.test',
      subject,
      html: '<p>Backup <strong>failed</strong></p>',
    })

    const message = await findMessage(server.mailboxDir, subject)
    assert.equal(message.subject, subject)
    assert.include(message.html || '', '<strong>failed</strong>')
  }).timeout(30_000)

  test('wrong password rejected', async ({ assert, cleanup }) => {
    const server = smtpServer()
    const wrongPassword = `${requirePassword(server)}-wrong`
    const transport = createTransport(server, { user: 'coffer', pass: wrongPassword })
    cleanup(() => transport.close())

    await assert.rejects(
      () =>
        transport.sendMail({
          from: 'coffer@example.test',
          to: 'admin@example.test',
          subject: 'rejected',
          text: 'rejected',
        }),
      /Invalid username or password/
    )
  }).timeout(30_000)
})
