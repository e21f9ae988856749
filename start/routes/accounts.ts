/*
 * Accounts: sign-in and sign-up, OAuth, invitations, password reset, email verification,
 * profile, users, settings and the audit log. Every mutating route outside the public
 * sign-in flows carries the `role` middleware with its minimum role.
 */

import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { signInThrottle } from '#start/limiter'

const SessionsController = () => import('#controllers/accounts/sessions_controller')
const RegistrationController = () => import('#controllers/accounts/registration_controller')
const OauthController = () => import('#controllers/accounts/oauth_controller')
const InvitationsController = () => import('#controllers/accounts/invitations_controller')
const PasswordResetsController = () => import('#controllers/accounts/password_resets_controller')
const EmailVerificationsController = () =>
  import('#controllers/accounts/email_verifications_controller')
const ProfileController = () => import('#controllers/accounts/profile_controller')
const UsersController = () => import('#controllers/accounts/users_controller')
const SettingsController = () => import('#controllers/accounts/settings_controller')
const AuditController = () => import('#controllers/accounts/audit_controller')

/* Public flows for visitors who are not signed in. */
router
  .group(() => {
    router.get('/login', [SessionsController, 'create']).as('login')
    router.post('/login', [SessionsController, 'store']).use(signInThrottle).as('login.store')
    router.get('/register', [RegistrationController, 'create']).as('register')
    router
      .post('/register', [RegistrationController, 'store'])
      .use(signInThrottle)
      .as('register.store')
    router.get('/forgot-password', [PasswordResetsController, 'create']).as('password.forgot')
    router
      .post('/forgot-password', [PasswordResetsController, 'store'])
      .use(signInThrottle)
      .as('password.forgot.store')
    router.get('/reset-password/:token', [PasswordResetsController, 'edit']).as('password.reset')
    router
      .post('/reset-password/:token', [PasswordResetsController, 'update'])
      .use(signInThrottle)
      .as('password.reset.update')
    router.get('/oauth/:provider', [OauthController, 'redirect']).as('oauth.redirect')
    router.get('/oauth/:provider/callback', [OauthController, 'callback']).as('oauth.callback')
  })
  .use(middleware.guest())

/* Invitation links work whether or not someone is signed in in this browser. */
router.get('/invitations/:token', [InvitationsController, 'show']).as('invitations.show')
router
  .post('/invitations/:token/accept', [InvitationsController, 'accept'])
  .use(signInThrottle)
  .as('invitations.accept')
router.get('/verify-email/:token', [EmailVerificationsController, 'show']).as('email.verify')

/* Any signed-in user. */
router
  .group(() => {
    router.post('/logout', [SessionsController, 'destroy']).as('logout')
    router.post('/logout/everywhere', [SessionsController, 'destroyAll']).as('logout.everywhere')
    router.get('/profile', [ProfileController, 'show']).as('profile')
    router.put('/profile', [ProfileController, 'update']).as('profile.update')
    router
      .post('/profile/verify-email', [EmailVerificationsController, 'store'])
      .as('profile.verify_email')
  })
  .use([middleware.auth(), middleware.role({ min: 'viewer' })])

/* Admins only. */
router
  .group(() => {
    router.get('/users', [UsersController, 'index']).as('users.index')
    router.put('/users/:id/role', [UsersController, 'updateRole']).as('users.role')
    router.delete('/users/:id', [UsersController, 'destroy']).as('users.destroy')
    router.post('/invitations', [InvitationsController, 'store']).as('invitations.store')
    router.delete('/invitations/:id', [InvitationsController, 'destroy']).as('invitations.revoke')
    router.get('/settings', [SettingsController, 'show']).as('settings')
    router.put('/settings/smtp', [SettingsController, 'updateSmtp']).as('settings.smtp')
    router.post('/settings/smtp/test', [SettingsController, 'testSmtp']).as('settings.smtp.test')
    router
      .put('/settings/oauth/:provider', [SettingsController, 'updateOauth'])
      .as('settings.oauth')
    router.get('/audit', [AuditController, 'index']).as('audit.index')
  })
  .use([middleware.auth(), middleware.role({ min: 'admin' })])
