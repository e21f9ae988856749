/*
 * Account flows shared by the controllers: signing in with the session version, first-admin
 * registration, invitations and the OAuth account mapping.
 */

import { DateTime } from 'luxon'
import { randomUUID } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import User, { type Role } from '#models/user'
import Invitation, { INVITATION_LIFETIME } from '#models/invitation'
import audit from '#services/audit'
import { generateHashedToken, hashToken } from '#services/tokens'
import { SESSION_VERSION_KEY } from '#middleware/session_version_middleware'

/** An account flow that was rejected, with a message for the user. */
export class AccountFlowError extends Error {}

/** Signs a user in, stores their session version, and records the sign-in. */
export async function signIn(ctx: HttpContext, user: User, method: string) {
  await ctx.auth.use('web').login(user)
  ctx.session.put(SESSION_VERSION_KEY, user.sessionVersion)
  await audit.record(ctx, 'auth.sign_in', { method }, user)
}

/** Returns whether any account exists; while none does, public sign-up is open. */
export async function hasAnyUser() {
  const row = await User.query().count('* as total').first()
  return Number(row?.$extras.total ?? 0) > 0
}

/**
 * Creates the first account as admin. Throws AccountFlowError when an account exists, since
 * sign-up closes after the first one. The check and the insert share one transaction.
 */
export async function registerFirstAdmin(input: {
  fullName: string | null
  email: string
  password: string | null
  emailVerified?: boolean
}) {
  return db.transaction(async (trx) => {
    /*
     * On PostgreSQL, two concurrent sign-ups could both count zero users under the default
     * isolation, so the table is locked against inserts until this transaction ends. SQLite
     * serializes writers by itself.
     */
    if (trx.dialect.name === 'postgres') {
      await trx.rawQuery('LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE')
    }

    const existing = await User.query({ client: trx }).count('* as total').first()
    if (Number(existing?.$extras.total ?? 0) > 0) {
      throw new AccountFlowError(
        'Sign-up is closed because an admin account already exists. Ask an admin for an invitation.'
      )
    }

    return User.create(
      {
        fullName: input.fullName,
        email: User.normalizeEmail(input.email),
        password: input.password,
        role: 'admin',
        sessionVersion: 1,
        emailVerifiedAt: input.emailVerified ? DateTime.now() : null,
      },
      { client: trx }
    )
  })
}

/** Creates an invitation and returns it with the token of its link, which is shown only once. */
export async function createInvitation(email: string, role: Role, invitedBy: User) {
  const { token, hash } = generateHashedToken()
  const invitation = await Invitation.create({
    id: randomUUID(),
    email: User.normalizeEmail(email),
    role,
    tokenHash: hash,
    invitedById: invitedBy.id,
    expiresAt: DateTime.now().plus(INVITATION_LIFETIME),
  })
  return { invitation, token }
}

/** Finds the invitation of a link token, pending or not. */
export async function findInvitationByToken(token: string) {
  return Invitation.findBy('tokenHash', hashToken(token))
}

/** Finds the newest pending invitation for an email. */
export async function findPendingInvitationForEmail(email: string) {
  return Invitation.query()
    .where('email', User.normalizeEmail(email))
    .whereNull('acceptedAt')
    .whereNull('revokedAt')
    .where('expiresAt', '>', DateTime.now().toSQL({ includeOffset: false })!)
    .orderBy('createdAt', 'desc')
    .first()
}

/**
 * Accepts a pending invitation: creates the account with the invited email and role, and
 * marks the invitation used. Throws AccountFlowError when it is no longer pending or the
 * email already has an account.
 */
export async function acceptInvitation(
  invitationId: string,
  input: { fullName: string | null; password: string | null; emailVerified: boolean }
) {
  return db.transaction(async (trx) => {
    const invitation = await Invitation.query({ client: trx })
      .where('id', invitationId)
      .forUpdate()
      .first()
    if (!invitation || !invitation.isPending) {
      throw new AccountFlowError(
        'This invitation is no longer valid: it was used, revoked or has expired. Ask an admin for a new one.'
      )
    }

    const existing = await User.query({ client: trx }).where('email', invitation.email).first()
    if (existing) {
      throw new AccountFlowError(
        `An account for ${invitation.email} already exists. Sign in instead.`
      )
    }

    const user = await User.create(
      {
        fullName: input.fullName,
        email: invitation.email,
        password: input.password,
        role: invitation.role,
        sessionVersion: 1,
        emailVerifiedAt: input.emailVerified ? DateTime.now() : null,
      },
      { client: trx }
    )

    invitation.useTransaction(trx)
    invitation.acceptedAt = DateTime.now()
    await invitation.save()

    return { user, invitation }
  })
}

/**
 * Maps an OAuth identity to an account: the user with that email, else a pending invitation
 * for it, else the first admin when no account exists. The provider must report the email as
 * verified. Throws AccountFlowError with the reason otherwise.
 */
export async function resolveOauthAccount(identity: {
  email: string | null
  emailVerified: boolean
  name: string | null
  provider: string
}): Promise<{ user: User; via: 'existing' | 'invitation' | 'first_admin' }> {
  if (!identity.email) {
    throw new AccountFlowError(
      `Your ${identity.provider} account did not share an email address, so Coffer cannot match it to an account.`
    )
  }
  if (!identity.emailVerified) {
    throw new AccountFlowError(
      `Your ${identity.provider} account's email ${identity.email} is not verified there. Verify it with ${identity.provider} and try again.`
    )
  }

  const email = User.normalizeEmail(identity.email)
  const user = await User.findBy('email', email)
  if (user) {
    return { user, via: 'existing' }
  }

  const invitation = await findPendingInvitationForEmail(email)
  if (invitation) {
    const accepted = await acceptInvitation(invitation.id, {
      fullName: identity.name,
      password: null,
      emailVerified: true,
    })
    return { user: accepted.user, via: 'invitation' }
  }

  if (!(await hasAnyUser())) {
    const admin = await registerFirstAdmin({
      fullName: identity.name,
      email,
      password: null,
      emailVerified: true,
    })
    return { user: admin, via: 'first_admin' }
  }

  throw new AccountFlowError(
    `No account or pending invitation exists for ${email}. Ask an admin to invite this address.`
  )
}
