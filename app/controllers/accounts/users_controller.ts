import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import Invitation from '#models/invitation'
import audit from '#services/audit'
import mailer from '#services/mailer'
import { roleValidator } from '#validators/account_validators'

/** Returns a route's :id as a user id, or null when it is not a positive integer. */
function userIdOf(value: unknown) {
  const id = Number(value)
  return Number.isInteger(id) && id > 0 ? id : null
}

/** The users page: accounts, their roles, and invitations. Admins only. */
export default class UsersController {
  /** Lists accounts and invitations, newest first. */
  async index({ view, bouncer, session }: HttpContext) {
    await bouncer.authorize('administer')

    const users = await User.query().orderBy('createdAt', 'asc')
    const invitations = await Invitation.query().orderBy('createdAt', 'desc').limit(100)

    return view.render('pages/users/index', {
      users,
      invitations,
      canEmailInvitations: await mailer.isVerified(),
      newInvitationLink: session.flashMessages.get('invitationLink') ?? null,
    })
  }

  /**
   * Changes a user's role and ends their sessions. The last admin cannot be demoted; the
   * count and the update share a transaction.
   */
  async updateRole(ctx: HttpContext) {
    const { params, request, response, session, bouncer } = ctx
    await bouncer.authorize('administer')
    const { role } = await request.validateUsing(roleValidator)
    const userId = userIdOf(params.id)

    const result = await db.transaction(async (trx) => {
      const user = userId
        ? await User.query({ client: trx }).where('id', userId).forUpdate().first()
        : null
      if (!user) {
        return { error: `User ${params.id} was not found.` }
      }
      if (user.role === role) {
        return { user, previous: role, unchanged: true }
      }
      if (
        user.role === 'admin' &&
        role !== 'admin' &&
        (await User.countAdmins({ client: trx })) <= 1
      ) {
        return {
          error: `${user.email} is the last admin and cannot be demoted. Promote another user first.`,
        }
      }

      const previous = user.role
      user.role = role
      user.endAllSessions()
      await user.save()
      return { user, previous, unchanged: false }
    })

    if ('error' in result) {
      session.flash('error', result.error!)
      return response.redirect('/users')
    }
    if (!result.unchanged) {
      await audit.record(ctx, 'user.role_changed', {
        userId: result.user.id,
        email: result.user.email,
        from: result.previous,
        to: role,
      })
    }

    session.flash('success', `${result.user.email} is now ${role}.`)
    return response.redirect('/users')
  }

  /** Removes an account; never your own, and never the last admin. */
  async destroy(ctx: HttpContext) {
    const { params, response, session, bouncer, auth } = ctx
    await bouncer.authorize('administer')

    const userId = userIdOf(params.id)
    const target = userId ? await User.find(userId) : null
    if (!target) {
      session.flash('error', `User ${params.id} was not found.`)
      return response.redirect('/users')
    }
    if (await bouncer.denies('removeUser', target)) {
      session.flash('error', 'You cannot remove your own account from the users page.')
      return response.redirect('/users')
    }

    const error = await db.transaction(async (trx) => {
      const locked = await User.query({ client: trx }).where('id', target.id).forUpdate().first()
      if (!locked) {
        return `User ${params.id} was not found.`
      }
      if (locked.role === 'admin' && (await User.countAdmins({ client: trx })) <= 1) {
        return `${locked.email} is the last admin and cannot be removed.`
      }
      await locked.delete()
      return null
    })

    if (error) {
      session.flash('error', error)
      return response.redirect('/users')
    }

    await audit.record(ctx, 'user.removed', {
      userId: target.id,
      email: target.email,
      role: target.role,
      by: auth.user!.id,
    })
    session.flash('success', `${target.email} was removed.`)
    return response.redirect('/users')
  }
}
