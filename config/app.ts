import app from '@adonisjs/core/services/app'
import { defineConfig } from '@adonisjs/core/http'

/** HTTP server settings. */
export const http = defineConfig({
  /** Adds an x-request-id header to every request, so log lines of one request group together. */
  generateRequestId: true,

  /** HTML forms send PUT and DELETE as POST with `?_method=`, since browsers only send GET and POST. */
  allowMethodSpoofing: true,

  /** Lets services read the current HttpContext without it being passed around. */
  useAsyncLocalStorage: false,

  /**
   * Maximum duration of one request, in milliseconds. Node's default of 300 seconds would cut
   * an agent's upload of a large download archive. Headers still time out after 60 seconds.
   */
  requestTimeout: 6 * 60 * 60 * 1000,

  /** Cookies are HTTP-only and, in production, sent over HTTPS only. */
  cookie: {
    domain: '',
    path: '/',
    maxAge: '2h',
    httpOnly: true,
    secure: app.inProduction,
    sameSite: 'lax',
  },
})
