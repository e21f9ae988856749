import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import { randomUUID } from 'node:crypto'
import env from '#start/env'
import User from '#models/user'
import UserToken, { USER_TOKEN_LIFETIME } from '#models/user_token'
import audit from '#services/audit'
import mailer from '#services/mailer'
import { generateHashedToken, hashToken } from '#services/tokens'
import { verificationMail } from '#mails/account_mails'

/** Optional email verification: reminds on the profile page, never blocks sign-in. */
export default class EmailVerificationsController {
  /** Emails a verification link to the signed-in user's address. */
  async store({ auth, response, session }: HttpContext) {
    const user = auth.getUserOrFail()
    if (!(await mailer.isVerified())) {
      session.flash(
        'error',
        'Email verification needs verified SMTP settings. Ask an admin to set them up.'
      )
      return response.redirect('/profile')
    }
    if (user.emailVerifiedAt) {
      session.flash('success', 'Your email is already verified.')
      return response.redirect('/profile')
    }

    const { token, hash } = generateHashedToken()
    await UserToken.create({
      id: randomUUID(),
      userId: user.id,
      purpose: 'email_verification',
      tokenHash: hash,
      email: user.email,
      expiresAt: DateTime.now().plus(USER_TOKEN_LIFETIME.email_verification),
    })
    const link = `${(env.get('APP_URL') || '').replace(/\/+$/, '')}/verify-email/${token}`

    try {
      await mailer.send(verificationMail({ to: user.email, link }))
      session.flash('success', `A verification link was sent to ${user.email}.`)
    } catch (error) {
      session.flash('error', `The verification email failed: ${(error as Error).message}`)
    }
    return response.redirect('/profile')
  }

  /** Marks the address verified when the link is valid and the address has not changed since. */
  async show(ctx: HttpContext) {
    const { params, response, session } = ctx
    const row = await UserToken.query()
      .where('tokenHash', hashToken(params.token))
      .where('purpose', 'email_verification')
      .first()

    const user = row ? await User.find(row.userId) : null
    if (!row || !row.isUsable || !user || user.email !== row.email) {
      session.flash(
        'error',
        'This verification link is invalid, used or expired. Send a new one from your profile.'
      )
      return response.redirect(ctx.auth.user ? '/profile' : '/login')
    }

    row.usedAt = DateTime.now()
    await row.save()
    user.emailVerifiedAt = DateTime.now()
    await user.save()
    await audit.record(ctx, 'auth.email_verified', { userId: user.id }, user)

    session.flash('success', `${user.email} is verified.`)
    return response.redirect(ctx.auth.user ? '/profile' : '/login')
  }
}
