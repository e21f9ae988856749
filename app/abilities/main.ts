/*
 * Bouncer abilities of the panel, by role: admin ⊇ operator ⊇ viewer. Routes also carry the
 * `role` middleware; controllers call `bouncer.authorize(...)` where their logic depends on it.
 */

import { Bouncer } from '@adonisjs/bouncer'
import type User from '#models/user'

/** Reading the panel: any signed-in user. */
export const viewPanel = Bouncer.ability((user: User) => {
  return user.hasRole('viewer')
})

/** Running backups and restores, retrying, cancelling and deleting snapshots: operators and admins. */
export const operate = Bouncer.ability((user: User) => {
  return user.hasRole('operator')
})

/** Managing users, settings, Coolify instances, destinations, engines, schedules and agents: admins. */
export const administer = Bouncer.ability((user: User) => {
  return user.hasRole('admin')
})

/** Removing an account from the users page: admins, and never their own account. */
export const removeUser = Bouncer.ability((user: User, target: User) => {
  return user.hasRole('admin') && user.id !== target.id
})
