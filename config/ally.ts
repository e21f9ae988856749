import env from '#start/env'
import { defineConfig, services } from '@adonisjs/ally'

const appUrl = env.get('APP_URL', 'http://127.0.0.1:3333')

/**
 * Sign-in providers. Ids and secrets come from the environment here; the sign-in service
 * decides which buttons to show from what is configured.
 */
const allyConfig = defineConfig({
  github: services.github({
    clientId: env.get('GITHUB_CLIENT_ID', ''),
    clientSecret: env.get('GITHUB_CLIENT_SECRET')?.release() ?? '',
    callbackUrl: `${appUrl}/oauth/github/callback`,
    scopes: ['user:email'],
  }),
  google: services.google({
    clientId: env.get('GOOGLE_CLIENT_ID', ''),
    clientSecret: env.get('GOOGLE_CLIENT_SECRET')?.release() ?? '',
    callbackUrl: `${appUrl}/oauth/google/callback`,
    scopes: ['openid', 'email', 'profile'],
  }),
})

export default allyConfig

declare module '@adonisjs/ally/types' {
  interface SocialProviders extends InferSocialProviders<typeof allyConfig> {}
}
