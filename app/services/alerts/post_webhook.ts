import logger from '@adonisjs/core/services/logger'

/** Delivery limits of webhook alerts; tests shorten the backoff. */
export const webhookDelivery = {
  /** Time limit of each attempt, in milliseconds. */
  timeoutMs: 10_000,
  attempts: 4,
  /** Wait before the second attempt, doubled before each later one, in milliseconds. */
  backoffMs: 2_000,
  /** Longest Retry-After honoured on a 429, in seconds. */
  maxRetryAfterSeconds: 60,
}

/** The outcome of a webhook delivery. */
export interface WebhookOutcome {
  ok: boolean
  attempts: number
  status?: number
  error?: string
}

/** Raised for a webhook URL that is not http(s). */
export class InvalidWebhookUrlError extends Error {
  code = 'INVALID_WEBHOOK_URL'
}

/** Checks that a webhook URL is an absolute http or https URL and returns it parsed. */
export function parseWebhookUrl(value: string) {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InvalidWebhookUrlError(
      'The webhook URL is not a valid URL. Paste the full https:// address.'
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidWebhookUrlError(
      `The webhook URL uses ${url.protocol.replace(':', '')}; only http and https are allowed.`
    )
  }
  return url
}

/**
 * Posts a JSON body to a webhook. Redirects are not followed; each attempt has a time limit;
 * network errors, 408, 429 and 5xx are retried with exponential backoff, other statuses are not.
 * The URL is never logged, because Discord and Slack URLs carry their token.
 */
export async function postWebhook(
  urlText: string,
  body: unknown,
  options: { attempts?: number } = {}
): Promise<WebhookOutcome> {
  const url = parseWebhookUrl(urlText)
  const attempts = options.attempts ?? webhookDelivery.attempts
  let last: WebhookOutcome = { ok: false, attempts: 0 }

  for (let attempt = 1; attempt <= attempts; attempt++) {
    const { outcome, retry, waitMs } = await attemptOnce(url, body)
    last = { ...outcome, attempts: attempt }
    if (outcome.ok || !retry || attempt === attempts) {
      break
    }

    const delay = waitMs ?? webhookDelivery.backoffMs * 2 ** (attempt - 1)
    logger.warn(
      { host: url.host, attempt, delay, error: outcome.error },
      'webhook delivery failed, retrying'
    )
    await new Promise((resolve) => setTimeout(resolve, delay))
  }

  return last
}

async function attemptOnce(url: URL, body: unknown) {
  let response: Response
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Coffer' },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(webhookDelivery.timeoutMs),
    })
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError'
    const reason = timedOut
      ? `timed out after ${webhookDelivery.timeoutMs} ms`
      : `could not connect (${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message})`
    return { outcome: { ok: false, attempts: 0, error: `The webhook ${reason}.` }, retry: true }
  }

  await response.body?.cancel()
  const status = response.status
  if (status >= 200 && status < 300) {
    return { outcome: { ok: true, attempts: 0, status }, retry: false }
  }

  if (status >= 300 && status < 400) {
    return {
      outcome: {
        ok: false,
        attempts: 0,
        status,
        error: `The webhook answered with a redirect (${status}), which is not followed. Use the final URL.`,
      },
      retry: false,
    }
  }

  const retry = status === 408 || status === 429 || status >= 500
  const retryAfter = Number(response.headers.get('retry-after'))
  const waitMs =
    status === 429 && Number.isFinite(retryAfter) && retryAfter > 0
      ? Math.min(retryAfter, webhookDelivery.maxRetryAfterSeconds) * 1000
      : undefined
  return {
    outcome: { ok: false, attempts: 0, status, error: `The webhook answered ${status}.` },
    retry,
    waitMs,
  }
}
