/*
 * Sign-in providers (GitHub, Google, GitLab). A provider is enabled when its client id and
 * secret are set, in the environment or on the settings page (the secret through the vault).
 * Environment values take precedence over the page.
 */

import type { HttpContext } from '@adonisjs/core/http'
import { GithubDriver } from '@adonisjs/ally/drivers/github'
import { GoogleDriver } from '@adonisjs/ally/drivers/google'
import env from '#start/env'
import settings from '#services/settings'
import { secretFromEnv } from '#services/env_secret'
import { GitlabDriver } from '#services/ally/gitlab_driver'

/** Provider names, as they appear in /oauth/:provider URLs. */
export const OAUTH_PROVIDERS = ['github', 'google', 'gitlab'] as const

export type OauthProvider = (typeof OAUTH_PROVIDERS)[number]

/** Labels of the sign-in buttons. */
export const OAUTH_LABELS: Record<OauthProvider, string> = {
  github: 'GitHub',
  google: 'Google',
  gitlab: 'GitLab',
}

/** Setting keys of a provider's client id, secret and (GitLab only) base URL. */
export function oauthSettingKeys(provider: OauthProvider) {
  return {
    clientId: `oauth.${provider}.client_id`,
    clientSecret: `oauth.${provider}.client_secret`,
    baseUrl: `oauth.${provider}.base_url`,
  }
}

const ENV_NAMES = {
  github: { clientId: 'GITHUB_CLIENT_ID', clientSecret: 'GITHUB_CLIENT_SECRET' },
  google: { clientId: 'GOOGLE_CLIENT_ID', clientSecret: 'GOOGLE_CLIENT_SECRET' },
  gitlab: { clientId: 'GITLAB_CLIENT_ID', clientSecret: 'GITLAB_CLIENT_SECRET' },
} as const

/** Returns whether a string names a known provider. */
export function isOauthProvider(value: string): value is OauthProvider {
  return (OAUTH_PROVIDERS as readonly string[]).includes(value)
}

/** A provider's credentials and where each value came from. */
export interface OauthProviderConfig {
  clientId: string | null
  clientSecret: string | null
  baseUrl: string | null
  idFromEnv: boolean
  secretFromEnv: boolean
  baseUrlFromEnv: boolean
}

/** Reads a provider's credentials: environment first, then the settings page. */
export async function oauthProviderConfig(provider: OauthProvider): Promise<OauthProviderConfig> {
  const keys = oauthSettingKeys(provider)
  const envId = env.get(ENV_NAMES[provider].clientId) || null
  const envSecret = secretFromEnv(ENV_NAMES[provider].clientSecret) ?? null
  const envBaseUrl = provider === 'gitlab' ? env.get('GITLAB_BASE_URL') || null : null

  return {
    clientId: envId ?? (await settings.get(keys.clientId)),
    clientSecret: envSecret ?? (await settings.getSecret(keys.clientSecret)),
    baseUrl: envBaseUrl ?? (provider === 'gitlab' ? await settings.get(keys.baseUrl) : null),
    idFromEnv: envId !== null,
    secretFromEnv: envSecret !== null,
    baseUrlFromEnv: envBaseUrl !== null,
  }
}

/** Returns the providers whose client id and secret are both set, for the sign-in buttons. */
export async function enabledOauthProviders(): Promise<OauthProvider[]> {
  const enabled: OauthProvider[] = []
  for (const provider of OAUTH_PROVIDERS) {
    const config = await oauthProviderConfig(provider)
    if (config.clientId && config.clientSecret) {
      enabled.push(provider)
    }
  }
  return enabled
}

function callbackUrl(provider: OauthProvider) {
  const appUrl = (env.get('APP_URL') || `http://${env.get('HOST')}:${env.get('PORT')}`).replace(
    /\/+$/,
    ''
  )
  return `${appUrl}/oauth/${provider}/callback`
}

/**
 * Builds the Ally driver of an enabled provider for this request, or returns null when the
 * provider is not configured.
 */
export async function oauthDriver(ctx: HttpContext, provider: OauthProvider) {
  const config = await oauthProviderConfig(provider)
  if (!config.clientId || !config.clientSecret) {
    return null
  }

  const common = {
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    callbackUrl: callbackUrl(provider),
  }

  if (provider === 'github') {
    return new GithubDriver(ctx, {
      ...common,
      scopes: ['read:user', 'user:email'],
      authorizeUrl: env.get('GITHUB_AUTHORIZE_URL') || undefined,
      accessTokenUrl: env.get('GITHUB_ACCESS_TOKEN_URL') || undefined,
      userInfoUrl: env.get('GITHUB_USER_INFO_URL') || undefined,
      userEmailUrl: env.get('GITHUB_USER_EMAIL_URL') || undefined,
    })
  }

  if (provider === 'google') {
    return new GoogleDriver(ctx, {
      ...common,
      scopes: ['openid', 'userinfo.email', 'userinfo.profile'],
      authorizeUrl: env.get('GOOGLE_AUTHORIZE_URL') || undefined,
      accessTokenUrl: env.get('GOOGLE_ACCESS_TOKEN_URL') || undefined,
      userInfoUrl: env.get('GOOGLE_USER_INFO_URL') || undefined,
    })
  }

  return new GitlabDriver(ctx, { ...common, baseUrl: config.baseUrl ?? undefined })
}
