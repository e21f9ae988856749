/*
 * Ally driver for GitLab (gitlab.com or self-hosted), since Ally 6 ships none. It uses
 * GitLab's OAuth2 endpoints under the base URL: /oauth/authorize, /oauth/token and
 * /api/v4/user.
 */

import type { HttpContext } from '@adonisjs/core/http'
import { Oauth2Driver } from '@adonisjs/ally'
import type {
  AllyDriverContract,
  AllyUserContract,
  ApiRequestContract,
  Oauth2AccessToken,
  RedirectRequestContract,
} from '@adonisjs/ally/types'

/** Scopes of GitLab's OAuth2 applications that sign-in uses. */
export type GitlabScopes = 'read_user' | 'openid' | 'profile' | 'email'

/** Configuration of the GitLab driver. */
export interface GitlabDriverConfig {
  clientId: string
  clientSecret: string
  callbackUrl: string
  /** Base URL of the GitLab instance, such as https://gitlab.example.com; default https://gitlab.com. */
  baseUrl?: string
  scopes?: GitlabScopes[]
}

/** Access token returned by GitLab. */
export interface GitlabToken extends Oauth2AccessToken {
  token: string
  type: 'bearer'
  refreshToken?: string
}

/** Signs users in with a GitLab OAuth2 application. */
export class GitlabDriver
  extends Oauth2Driver<GitlabToken, GitlabScopes>
  implements AllyDriverContract<GitlabToken, GitlabScopes>
{
  protected authorizeUrl: string
  protected accessTokenUrl: string
  protected userInfoUrl: string

  protected codeParamName = 'code'
  protected errorParamName = 'error'
  protected stateCookieName = 'gitlab_oauth_state'
  protected stateParamName = 'state'
  protected scopeParamName = 'scope'
  protected scopesSeparator = ' '

  constructor(
    ctx: HttpContext,
    public config: GitlabDriverConfig
  ) {
    super(ctx, config)

    const baseUrl = (config.baseUrl || 'https://gitlab.com').replace(/\/+$/, '')
    this.authorizeUrl = `${baseUrl}/oauth/authorize`
    this.accessTokenUrl = `${baseUrl}/oauth/token`
    this.userInfoUrl = `${baseUrl}/api/v4/user`

    this.loadState()
  }

  protected configureRedirectRequest(request: RedirectRequestContract<GitlabScopes>) {
    request.scopes(this.config.scopes || ['read_user'])
    request.param('response_type', 'code')
  }

  /** Returns whether the user denied access on GitLab's consent page. */
  accessDenied() {
    return this.getError() === 'access_denied'
  }

  protected async getUserInfo(token: string, callback?: (request: ApiRequestContract) => void) {
    const request = this.httpClient(this.userInfoUrl)
    request.header('Authorization', `Bearer ${token}`)
    request.header('Accept', 'application/json')
    request.parseAs('json')
    if (typeof callback === 'function') {
      callback(request)
    }

    const body = await request.get()

    /** GitLab sets confirmed_at once the primary email is confirmed. */
    return {
      id: body.id,
      nickName: body.username,
      name: body.name ?? body.username,
      email: body.email ?? null,
      emailVerificationState: (body.email
        ? body.confirmed_at
          ? 'verified'
          : 'unverified'
        : 'unsupported') as 'verified' | 'unverified' | 'unsupported',
      avatarUrl: body.avatar_url ?? null,
      original: body,
    }
  }

  /** Exchanges the authorization code and fetches the GitLab user. */
  async user(
    callback?: (request: ApiRequestContract) => void
  ): Promise<AllyUserContract<GitlabToken>> {
    const token = await this.accessToken(callback)
    const user = await this.getUserInfo(token.token, callback)
    return { ...user, token }
  }

  /** Fetches the GitLab user of an existing access token. */
  async userFromToken(token: string, callback?: (request: ApiRequestContract) => void) {
    const user = await this.getUserInfo(token, callback)
    return { ...user, token: { token, type: 'bearer' as const } }
  }
}
