/*
 * A small OAuth2 authorization server on 127.0.0.1 that replaces GitHub, Google and GitLab
 * in the sign-in tests. It implements the authorization code flow with each provider's
 * URL layout and user-info format, checks client credentials, redirect URI and code, and
 * returns the identity that the test sets.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'

/** The identity the provider reports for the next sign-in. */
export interface OauthIdentity {
  id: number
  email: string | null
  emailVerified: boolean
  name: string
}

/** Provider URLs, as Coffer's configuration expects them. */
export interface ProviderUrls {
  authorizeUrl: string
  accessTokenUrl: string
  userInfoUrl: string
  userEmailUrl?: string
  baseUrl?: string
}

interface PendingCode {
  clientId: string
  redirectUri: string
  identity: OauthIdentity
}

async function readBody(request: IncomingMessage) {
  const chunks: Buffer[] = []
  for await (const chunk of request) {
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify(body))
}

/** The stand-in provider server. Start with `start()`, stop with `close()`. */
export class OauthTestServer {
  clientId = `client-${randomBytes(4).toString('hex')}`
  clientSecret = `secret-${randomBytes(12).toString('hex')}`
  identity: OauthIdentity = { id: 1, email: null, emailVerified: false, name: 'Nobody' }

  /** Every token request received, for assertions on what Coffer sent. */
  tokenRequests: Array<{ provider: string; body: URLSearchParams }> = []

  #server: Server | null = null
  #codes = new Map<string, PendingCode>()
  #tokens = new Map<string, OauthIdentity>()

  /** Base URL of the server, such as http://127.0.0.1:PORT. */
  get url() {
    const address = this.#server?.address() as AddressInfo | null
    if (!address) {
      throw new Error('The OAuth test server is not started; call start() first')
    }
    return `http://127.0.0.1:${address.port}`
  }

  /** URLs of one provider on this server. */
  urls(provider: 'github' | 'google' | 'gitlab'): ProviderUrls {
    const base = `${this.url}/${provider}`
    if (provider === 'github') {
      return {
        authorizeUrl: `${base}/login/oauth/authorize`,
        accessTokenUrl: `${base}/login/oauth/access_token`,
        userInfoUrl: `${base}/user`,
        userEmailUrl: `${base}/user/emails`,
      }
    }
    if (provider === 'google') {
      return {
        authorizeUrl: `${base}/authorize`,
        accessTokenUrl: `${base}/token`,
        userInfoUrl: `${base}/userinfo`,
      }
    }
    return {
      baseUrl: base,
      authorizeUrl: `${base}/oauth/authorize`,
      accessTokenUrl: `${base}/oauth/token`,
      userInfoUrl: `${base}/api/v4/user`,
    }
  }

  async start() {
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error) => {
        sendJson(response, 500, { error: 'server_error', message: String(error) })
      })
    })
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve))
    return this
  }

  async close() {
    await new Promise<void>((resolve) =>
      this.#server ? this.#server.close(() => resolve()) : resolve()
    )
    this.#server = null
  }

  async #handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', this.url)
    const [, provider, ...rest] = url.pathname.split('/')
    const path = `/${rest.join('/')}`

    if (request.method === 'GET' && path.endsWith('/authorize')) {
      return this.#authorize(url, response)
    }
    if (request.method === 'POST' && (path.endsWith('/access_token') || path.endsWith('/token'))) {
      return this.#token(provider, new URLSearchParams(await readBody(request)), response)
    }

    const identity = this.#identityOf(request)
    if (!identity) {
      return sendJson(response, 401, { error: 'invalid_token' })
    }

    if (provider === 'github' && path === '/user') {
      return sendJson(response, 200, {
        id: identity.id,
        login: identity.name.toLowerCase().replace(/\s+/g, '-'),
        name: identity.name,
        email: null,
        avatar_url: null,
      })
    }
    if (provider === 'github' && path === '/user/emails') {
      const emails = identity.email
        ? [{ email: identity.email, primary: true, verified: identity.emailVerified }]
        : []
      return sendJson(response, 200, emails)
    }
    if (provider === 'google' && path === '/userinfo') {
      return sendJson(response, 200, {
        sub: String(identity.id),
        name: identity.name,
        email: identity.email,
        email_verified: identity.emailVerified,
      })
    }
    if (provider === 'gitlab' && path === '/api/v4/user') {
      return sendJson(response, 200, {
        id: identity.id,
        username: identity.name.toLowerCase().replace(/\s+/g, '-'),
        name: identity.name,
        email: identity.email,
        confirmed_at: identity.emailVerified ? new Date().toISOString() : null,
      })
    }

    return sendJson(response, 404, { error: 'not_found', path: url.pathname })
  }

  /** Approves at once: redirects back with a fresh code and the state Coffer sent. */
  #authorize(url: URL, response: ServerResponse) {
    const clientId = url.searchParams.get('client_id')
    const redirectUri = url.searchParams.get('redirect_uri')
    if (clientId !== this.clientId || !redirectUri) {
      return sendJson(response, 400, { error: 'invalid_client' })
    }

    const code = randomBytes(16).toString('hex')
    this.#codes.set(code, { clientId, redirectUri, identity: { ...this.identity } })

    const target = new URL(redirectUri)
    target.searchParams.set('code', code)
    target.searchParams.set('state', url.searchParams.get('state') ?? '')
    response.writeHead(302, { location: target.toString() })
    response.end()
  }

  /** Exchanges a code for an access token after checking client, secret and redirect URI. */
  #token(provider: string, body: URLSearchParams, response: ServerResponse) {
    this.tokenRequests.push({ provider, body })
    const pending = this.#codes.get(body.get('code') ?? '')
    if (
      !pending ||
      body.get('client_id') !== this.clientId ||
      body.get('client_secret') !== this.clientSecret ||
      body.get('redirect_uri') !== pending.redirectUri
    ) {
      return sendJson(response, 400, { error: 'invalid_grant' })
    }

    this.#codes.delete(body.get('code')!)
    const token = randomBytes(16).toString('hex')
    this.#tokens.set(token, pending.identity)
    return sendJson(response, 200, { access_token: token, token_type: 'bearer', scope: 'read' })
  }

  #identityOf(request: IncomingMessage) {
    const header = request.headers.authorization ?? ''
    const token = header.replace(/^(Bearer|token)\s+/i, '')
    return this.#tokens.get(token) ?? null
  }
}
