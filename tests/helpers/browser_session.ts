/**
 * A minimal browser for end-to-end tests: keeps cookies, reads the CSRF token from each page's
 * forms and submits forms as a browser without JavaScript would. It talks to the test server on
 * 127.0.0.1 only.
 */
export class BrowserSession {
  #cookies = new Map<string, string>()
  #csrfToken = ''

  constructor(readonly baseUrl: string) {
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(baseUrl)) {
      throw new Error(`BrowserSession only talks to the local test server, not ${baseUrl}`)
    }
  }

  /** Loads a page and remembers its CSRF token. Returns the response and its text. */
  async get(path: string) {
    const response = await this.#send(path, { method: 'GET' })
    const text = await response.text()
    const token =
      /<meta name="csrf-token" content="([^"]+)"/.exec(text)?.[1] ??
      /<input[^>]*name="_csrf"[^>]*>/.exec(text)?.[0].match(/value="([^"]+)"/)?.[1]
    if (token) {
      this.#csrfToken = token
    }
    return { response, text }
  }

  /** Submits a form with the last CSRF token; redirects are returned, not followed. */
  async post(path: string, fields: Record<string, string>) {
    const body = new URLSearchParams({ ...fields, _csrf: this.#csrfToken })
    const response = await this.#send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    })
    return { response, text: await response.text(), location: response.headers.get('location') }
  }

  /** Opens a streaming GET (for server-sent events) with the session's cookies. */
  async stream(path: string, signal: AbortSignal) {
    return this.#send(path, { method: 'GET', signal })
  }

  /** Sends a JSON POST with the session's cookies and CSRF token, as the panel's scripts do. */
  async postJson(path: string, payload: unknown) {
    return this.#send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': this.#csrfToken },
      body: JSON.stringify(payload),
    })
  }

  async #send(path: string, init: RequestInit) {
    const headers = new Headers(init.headers)
    headers.set('cookie', [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; '))
    headers.set('accept', 'text/html')
    const response = await fetch(new URL(path, this.baseUrl), {
      ...init,
      headers,
      redirect: 'manual',
    })

    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';')
      const separator = pair.indexOf('=')
      this.#cookies.set(pair.slice(0, separator), pair.slice(separator + 1))
    }
    return response
  }
}
