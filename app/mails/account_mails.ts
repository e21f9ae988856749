/*
 * Emails of the account flows, as plain text: invitations, password resets and email
 * verification.
 */

import type User from '#models/user'
import type { OutgoingMail } from '#services/mailer'

/** Invitation to join with a role. */
export function invitationMail(input: {
  to: string
  link: string
  inviter: User
  role: string
}): OutgoingMail {
  return {
    to: input.to,
    subject: 'You are invited to Coffer',
    text: [
      `${input.inviter.displayName} invited you to Coffer as ${input.role}.`,
      '',
      `Accept the invitation within 48 hours: ${input.link}`,
      '',
      'The link works once. If you did not expect it, ignore this email.',
    ].join('\n'),
  }
}

/** Password reset link. */
export function passwordResetMail(input: { to: string; link: string }): OutgoingMail {
  return {
    to: input.to,
    subject: 'Reset your Coffer password',
    text: [
      'Someone asked to reset the password of your Coffer account.',
      '',
      `Set a new password within 1 hour: ${input.link}`,
      '',
      'The link works once. If you did not ask for it, ignore this email; your password stays the same.',
    ].join('\n'),
  }
}

/** Email verification link. */
export function verificationMail(input: { to: string; link: string }): OutgoingMail {
  return {
    to: input.to,
    subject: 'Verify your email for Coffer',
    text: [
      'Confirm that this address belongs to your Coffer account:',
      '',
      input.link,
      '',
      'The link works once and expires after 48 hours.',
    ].join('\n'),
  }
}
