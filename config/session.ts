import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, stores } from '@adonisjs/session'

/** Sessions of the panel, kept in an encrypted cookie. */
const sessionConfig = defineConfig({
  enabled: true,
  cookieName: 'coffer-session',

  /** The session ends when the browser closes. */
  clearWithBrowser: false,

  /** Sessions expire after two hours without a request. */
  age: '2h',

  cookie: {
    path: '/',
    httpOnly: true,
    secure: app.inProduction,
    sameSite: 'lax',
  },

  store: env.get('SESSION_DRIVER'),

  stores: {
    cookie: stores.cookie(),
  },
})

export default sessionConfig
