import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import { randomUUID } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import logger from '@adonisjs/core/services/logger'
import User from '#models/user'
import UserToken, { USER_TOKEN_LIFETIME } from '#models/user_token'
import audit from '#services/audit'
import mailer from '#services/mailer'
import { generateHashedToken, hashToken } from '#services/tokens'
import { passwordResetMail } from '#mails/account_mails'
import { forgotPasswordValidator, resetPasswordValidator } from '#validators/account_validators'

const SMTP_MISSING =
  'Password reset needs verified SMTP settings, and an admin has not set them up yet. Ask an admin to reset your access.'

async function findUsableToken(token: string) {
  const row = await UserToken.query()
    .where('tokenHash', hashToken(token))
    .where('purpose', 'password_reset')
    .first()
  return row && row.isUsable ? row : null
}

/** Password reset by emailed link: the token is stored hashed, works once, and expires. */
export default class PasswordResetsController {
  /** Shows the request form, or why it is unavailable. */
  async create({ view }: HttpContext) {
    const available = await mailer.isVerified()
    return view.render('pages/auth/forgot_password', {
      available,
      reason: available ? null : SMTP_MISSING,
    })
  }

  /** Emails a reset link when the account exists; the reply is the same either way. */
  async store(ctx: HttpContext) {
    const { request, response, session } = ctx
    if (!(await mailer.isVerified())) {
      session.flash('error', SMTP_MISSING)
      return response.redirect('/forgot-password')
    }

    const { email } = await request.validateUsing(forgotPasswordValidator)
    const user = await User.findBy('email', email)

    if (user) {
      const { token, hash } = generateHashedToken()
      await UserToken.create({
        id: randomUUID(),
        userId: user.id,
        purpose: 'password_reset',
        tokenHash: hash,
        email: user.email,
        expiresAt: DateTime.now().plus(USER_TOKEN_LIFETIME.password_reset),
      })
      const link = `${(env.get('APP_URL') || '').replace(/\/+$/, '')}/reset-password/${token}`
      try {
        await mailer.send(passwordResetMail({ to: user.email, link }))
      } catch (error) {
        logger.error({ err: error, userId: user.id }, 'password reset email failed')
      }
      await audit.record(ctx, 'auth.password_reset_requested', { userId: user.id }, user)
    }

    session.flash('success', `If ${email} has an account, a reset link is on its way.`)
    return response.redirect('/forgot-password')
  }

  /** Shows the new-password form of a reset link. */
  async edit({ params, view, response }: HttpContext) {
    const row = await findUsableToken(params.token)
    if (!row) {
      response.status(404)
    }
    return view.render('pages/auth/reset_password', { valid: Boolean(row), token: params.token })
  }

  /** Sets the new password, uses up the token, and ends the user's other sessions. */
  async update(ctx: HttpContext) {
    const { params, request, response, session, view } = ctx
    const { password } = await request.validateUsing(resetPasswordValidator)

    const user = await db.transaction(async (trx) => {
      const row = await UserToken.query({ client: trx })
        .where('tokenHash', hashToken(params.token))
        .where('purpose', 'password_reset')
        .forUpdate()
        .first()
      if (!row || !row.isUsable) {
        return null
      }

      row.usedAt = DateTime.now()
      await row.save()

      const owner = await User.findOrFail(row.userId, { client: trx })
      owner.password = password
      owner.endAllSessions()
      await owner.save()
      return owner
    })

    if (!user) {
      response.status(404)
      return view.render('pages/auth/reset_password', { valid: false, token: params.token })
    }

    await audit.record(ctx, 'auth.password_reset', { userId: user.id }, user)
    session.flash('success', 'Your password was changed. Sign in with the new one.')
    return response.redirect('/login')
  }
}
