import vine from '@vinejs/vine'
import { ROLES } from '#models/user'

const email = () => vine.string().trim().email().maxLength(254).toLowerCase()
const newPassword = () => vine.string().minLength(12).maxLength(200)
const fullName = () => vine.string().trim().minLength(1).maxLength(100)

/** Sign-in form. */
export const signInValidator = vine.create({
  email: vine.string().trim().toLowerCase(),
  password: vine.string(),
})

/** First-admin registration form. */
export const registerValidator = vine.create({
  fullName: fullName(),
  email: email(),
  password: newPassword().confirmed({ as: 'passwordConfirmation' }),
})

/** Invitation form on the users page. */
export const invitationValidator = vine.create({
  email: email(),
  role: vine.enum(ROLES),
  sendEmail: vine.boolean().optional(),
})

/** Accepting an invitation: name and password. */
export const acceptInvitationValidator = vine.create({
  fullName: fullName(),
  password: newPassword().confirmed({ as: 'passwordConfirmation' }),
})

/** Changing a user's role. */
export const roleValidator = vine.create({
  role: vine.enum(ROLES),
})

/** Profile form: the current password is required for every change. */
export const profileValidator = vine.create({
  fullName: fullName(),
  email: email(),
  currentPassword: vine.string(),
  newPassword: newPassword().confirmed({ as: 'newPasswordConfirmation' }).optional(),
})

/** Requesting a password reset link. */
export const forgotPasswordValidator = vine.create({
  email: email(),
})

/** Setting a new password from a reset link. */
export const resetPasswordValidator = vine.create({
  password: newPassword().confirmed({ as: 'passwordConfirmation' }),
})
