import type { HttpContext } from '@adonisjs/core/http'
import hash from '@adonisjs/core/services/hash'
import User from '#models/user'
import audit from '#services/audit'
import mailer from '#services/mailer'
import { SESSION_VERSION_KEY } from '#middleware/session_version_middleware'
import { profileValidator } from '#validators/account_validators'

/** The signed-in user's profile: name, email and password. */
export default class ProfileController {
  /** Shows the profile form and the email verification reminder. */
  async show({ view, auth }: HttpContext) {
    return view.render('pages/profile/show', {
      user: auth.getUserOrFail(),
      canVerifyEmail: await mailer.isVerified(),
    })
  }

  /**
   * Updates name, email and, optionally, password. The current password is required; a
   * password change ends the user's other sessions and keeps this one.
   */
  async update(ctx: HttpContext) {
    const { request, response, session, auth } = ctx
    const user = auth.getUserOrFail()
    const input = await request.validateUsing(profileValidator)

    const passwordMatches = user.password
      ? await hash.verify(user.password, input.currentPassword)
      : false
    if (!passwordMatches) {
      session.flashExcept(['currentPassword', 'newPassword', 'newPasswordConfirmation'])
      session.flash(
        'error',
        user.password
          ? 'The current password is wrong. Nothing was changed.'
          : 'Your account has no password because it signs in with a provider. Set one with "Forgot password".'
      )
      return response.redirect('/profile')
    }

    if (input.email !== user.email) {
      const taken = await User.findBy('email', input.email)
      if (taken) {
        session.flash('error', `${input.email} is already used by another account.`)
        return response.redirect('/profile')
      }
    }

    const changed: string[] = []
    if (input.fullName !== user.fullName) changed.push('name')
    if (input.email !== user.email) {
      changed.push('email')
      user.email = input.email
      user.emailVerifiedAt = null
    }
    user.fullName = input.fullName

    if (input.newPassword) {
      changed.push('password')
      user.password = input.newPassword
      user.endAllSessions()
    }
    await user.save()

    if (input.newPassword) {
      session.put(SESSION_VERSION_KEY, user.sessionVersion)
    }
    if (changed.length > 0) {
      await audit.record(ctx, 'profile.updated', { fields: changed })
    }

    session.flash('success', changed.length ? `Saved: ${changed.join(', ')}.` : 'Nothing changed.')
    return response.redirect('/profile')
  }
}
