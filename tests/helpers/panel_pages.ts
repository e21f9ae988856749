import { FINAL_JOB_STATUSES, type JobStatus } from '#models/job'
import type { BrowserSession } from '#tests/helpers/browser_session'
import { waitFor } from '#tests/helpers/agent_process'

/** A job as `GET /jobs/:id/poll` returns it. */
export interface PolledJob {
  status: JobStatus
  error: { code?: string; message?: string } | null
  events: { type: string; level: string; message: string }[]
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
}

/** Decodes the named and numeric HTML character references of a page's text. */
export function decodeHtmlEntities(text: string) {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (reference, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) {
      return String.fromCodePoint(Number.parseInt(name.slice(2), 16))
    }
    if (name.startsWith('#')) {
      return String.fromCodePoint(Number.parseInt(name.slice(1), 10))
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? reference
  })
}

/**
 * Returns the decoded text of the first `<pre class="command">` after the `<h2>` with the given
 * heading, as a user copies it from the page. Throws when the page has no such command.
 */
export function commandUnderHeading(html: string, heading: string) {
  const start = html.indexOf(`<h2>${heading}</h2>`)
  if (start === -1) {
    throw new Error(`The page has no heading "${heading}":\n${html.slice(0, 2000)}`)
  }
  const match = /<pre class="command">([\s\S]*?)<\/pre>/.exec(html.slice(start))
  if (!match) {
    throw new Error(`The page has no command under the heading "${heading}"`)
  }
  return decodeHtmlEntities(match[1]).trim()
}

/**
 * Returns the id in the first link `<a href="/<collection>/<uuid>">label</a>` of a page, or
 * undefined when there is none. Without a label, any link into the collection matches.
 */
export function linkedId(html: string, collection: string, label?: string) {
  const pattern = new RegExp(`<a href="/${collection}/([0-9a-f-]{36})">([^<]*)</a>`, 'g')
  for (const match of html.matchAll(pattern)) {
    if (label === undefined || decodeHtmlEntities(match[2]).trim() === label) {
      return match[1]
    }
  }
  return undefined
}

/** Polls the job's JSON endpoint until the job ends, and returns its last state. */
export function waitForPanelJob(browser: BrowserSession, jobId: string, timeoutMs = 180_000) {
  return waitFor(
    `job ${jobId} to end`,
    async () => {
      const { response, text } = await browser.get(`/jobs/${jobId}/poll`)
      if (response.status !== 200) {
        throw new Error(
          `GET /jobs/${jobId}/poll returned ${response.status}: ${text.slice(0, 500)}`
        )
      }
      const job = JSON.parse(text) as PolledJob
      return FINAL_JOB_STATUSES.includes(job.status) ? job : undefined
    },
    timeoutMs
  )
}

/** Throws unless the job succeeded, with its error and its log in the message. */
export function expectJobSucceeded(jobId: string, job: PolledJob) {
  if (job.status === 'succeeded') {
    return
  }
  const log = job.events
    .filter((event) => event.type === 'log')
    .map((event) => `${event.level}: ${event.message}`)
    .join('\n')
  throw new Error(
    `Job ${jobId} ended ${job.status}: ${JSON.stringify(job.error)}\nJob log:\n${log}`
  )
}
