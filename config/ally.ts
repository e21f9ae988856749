import env from '#start/env'
import { defineConfig, services } from '@adonisjs/ally'
import { GitlabDriver } from '#services/ally/gitlab_driver'

const appUrl = env.get('APP_URL', 'http://127.0.0.1:3333')

/**
 * Sign-in providers configured from the environment only. The sign-in routes do not read
 * this file: app/services/oauth_providers.ts builds each driver per request from the
 * environment and the settings page, so credentials saved in the panel apply without a
 * restart. This configuration keeps `ctx.ally.use(...)` usable for other code.
 */
const allyConfig = defineConfig({
  github: services.github({
    clientId: env.get('GITHUB_CLIENT_ID', ''),
    clientSecret: env.get('GITHUB_CLIENT_SECRET')?.release() ?? '',
    callbackUrl: `${appUrl}/oauth/github/callback`,
    scopes: ['read:user', 'user:email'],
  }),
  google: services.google({
    clientId: env.get('GOOGLE_CLIENT_ID', ''),
    clientSecret: env.get('GOOGLE_CLIENT_SECRET')?.release() ?? '',
    callbackUrl: `${appUrl}/oauth/google/callback`,
    scopes: ['openid', 'userinfo.email', 'userinfo.profile'],
  }),
  gitlab: (ctx) =>
    new GitlabDriver(ctx, {
      clientId: env.get('GITLAB_CLIENT_ID', ''),
      clientSecret: env.get('GITLAB_CLIENT_SECRET')?.release() ?? '',
      callbackUrl: `${appUrl}/oauth/gitlab/callback`,
      baseUrl: env.get('GITLAB_BASE_URL'),
    }),
})

export default allyConfig

declare module '@adonisjs/ally/types' {
  interface SocialProviders extends InferSocialProviders<typeof allyConfig> {}
}
