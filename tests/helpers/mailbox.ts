import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { simpleParser, type ParsedMail } from 'mailparser'
import { smtpTestServer } from '#tests/bootstrap'

/** Returns the SMTP test server's address and mailbox, or throws naming the service to start. */
export function smtpServer() {
  const { host, port, mailboxDir, password } = smtpTestServer
  if (!host || !port || !mailboxDir) {
    throw new Error(
      'SMTP_HOST, SMTP_PORT or SMTP_MAILBOX_DIR is missing: run "scripts/services/smtp.sh start" and source $COFFER_SERVICES_DIR/smtp.env before the tests'
    )
  }
  return { host, port: Number(port), mailboxDir, password: password ?? null }
}

/** Reads every message in the mailbox that was sent to `to`. */
export async function messagesTo(to: string): Promise<ParsedMail[]> {
  const { mailboxDir } = smtpServer()
  const entries = await readdir(mailboxDir)
  const names = entries.filter((name) => name.endsWith('.eml')).sort()
  const messages: ParsedMail[] = []
  for (const name of names) {
    const parsed = await simpleParser(await readFile(join(mailboxDir, name)))
    const recipients = [parsed.to].flat().flatMap((address) => address?.value ?? [])
    if (recipients.some((recipient) => recipient.address?.toLowerCase() === to.toLowerCase())) {
      messages.push(parsed)
    }
  }
  return messages
}

/** Waits up to `timeoutMs` for a message to `to` whose subject contains `subject`. */
export async function waitForMessage(to: string, subject: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const messages = await messagesTo(to)
    const match = messages.find((message) => message.subject?.includes(subject))
    if (match) {
      return match
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`No message to ${to} with subject "${subject}" arrived within ${timeoutMs} ms`)
}

/** Returns the first URL in a message's text that starts with `prefix`. */
export function linkIn(message: ParsedMail, prefix: string) {
  const match = (message.text ?? '').match(
    new RegExp(`${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\S+`)
  )
  if (!match) {
    throw new Error(`The message "${message.subject}" contains no link starting with ${prefix}`)
  }
  return match[0]
}
