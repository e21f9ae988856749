import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import env from '#start/env'
import logger from '@adonisjs/core/services/logger'
import User from '#models/user'
import Invitation from '#models/invitation'
import audit from '#services/audit'
import mailer from '#services/mailer'
import { invitationMail } from '#mails/account_mails'
import {
  AccountFlowError,
  acceptInvitation,
  createInvitation,
  findInvitationByToken,
  signIn,
} from '#services/accounts'
import { acceptInvitationValidator, invitationValidator } from '#validators/account_validators'

function invitationUrl(token: string) {
  const appUrl = (env.get('APP_URL') || '').replace(/\/+$/, '')
  return `${appUrl}/invitations/${token}`
}

/** Creating, revoking and accepting invitations. */
export default class InvitationsController {
  /** Creates an invitation, shows its link once, and emails it when asked and SMTP works. */
  async store(ctx: HttpContext) {
    const { request, response, session, bouncer, auth } = ctx
    await bouncer.authorize('administer')
    const input = await request.validateUsing(invitationValidator)

    if (await User.findBy('email', input.email)) {
      session.flash('error', `${input.email} already has an account.`)
      return response.redirect('/users')
    }

    const inviter = auth.getUserOrFail()
    const { invitation, token } = await createInvitation(input.email, input.role, inviter)
    const link = invitationUrl(token)
    await audit.record(ctx, 'invitation.created', {
      invitationId: invitation.id,
      email: invitation.email,
      role: invitation.role,
    })

    if (input.sendEmail) {
      if (!(await mailer.isVerified())) {
        session.flash('error', 'The invitation was not emailed: SMTP is not verified yet.')
      } else {
        try {
          await mailer.send(
            invitationMail({ to: invitation.email, link, inviter, role: invitation.role })
          )
          invitation.emailedAt = DateTime.now()
          await invitation.save()
        } catch (error) {
          logger.warn({ err: error, invitationId: invitation.id }, 'invitation email failed')
          session.flash('error', `The invitation email failed: ${(error as Error).message}`)
        }
      }
    }

    session.flash('invitationLink', link)
    session.flash(
      'success',
      `Invitation for ${invitation.email} created. Copy the link now: it is shown only once.`
    )
    return response.redirect('/users')
  }

  /** Revokes a pending invitation. */
  async destroy(ctx: HttpContext) {
    const { params, response, session, bouncer } = ctx
    await bouncer.authorize('administer')

    const invitation = await Invitation.find(params.id)
    if (!invitation || !invitation.isPending) {
      session.flash('error', 'Only a pending invitation can be revoked.')
      return response.redirect('/users')
    }

    invitation.revokedAt = DateTime.now()
    await invitation.save()
    await audit.record(ctx, 'invitation.revoked', {
      invitationId: invitation.id,
      email: invitation.email,
    })

    session.flash('success', `The invitation for ${invitation.email} was revoked.`)
    return response.redirect('/users')
  }

  /** Shows the accept form of an invitation link. */
  async show({ params, view, response }: HttpContext) {
    const invitation = await findInvitationByToken(params.token)
    if (!invitation || !invitation.isPending) {
      response.status(404)
      return view.render('pages/auth/accept_invitation', { invitation: null, token: null })
    }
    return view.render('pages/auth/accept_invitation', { invitation, token: params.token })
  }

  /** Accepts an invitation: creates the account with a name and password, then signs in. */
  async accept(ctx: HttpContext) {
    const { params, request, response, session, view } = ctx
    const invitation = await findInvitationByToken(params.token)
    if (!invitation || !invitation.isPending) {
      response.status(404)
      return view.render('pages/auth/accept_invitation', { invitation: null, token: null })
    }

    const input = await request.validateUsing(acceptInvitationValidator)

    try {
      const { user } = await acceptInvitation(invitation.id, {
        fullName: input.fullName,
        password: input.password,
        emailVerified: false,
      })
      await audit.record(
        ctx,
        'invitation.accepted',
        { invitationId: invitation.id, role: user.role },
        user
      )
      await signIn(ctx, user, 'invitation')
      session.flash('success', `Welcome to Coffer. You joined as ${user.role}.`)
      return response.redirect('/')
    } catch (error) {
      if (!(error instanceof AccountFlowError)) {
        throw error
      }
      response.status(409)
      return view.render('pages/auth/accept_invitation', {
        invitation: null,
        token: null,
        error: error.message,
      })
    }
  }
}
