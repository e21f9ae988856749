import { randomUUID } from 'node:crypto'
import User, { type Role } from '#models/user'

/** Password of every account made by `createUser`. */
export const TEST_PASSWORD = 'correct horse battery staple'

/** Creates an account with a role and a unique email. */
export async function createUser(
  role: Role,
  overrides: Partial<Pick<User, 'email' | 'fullName'>> = {}
) {
  return User.create({
    email: overrides.email ?? `${role}-${randomUUID().slice(0, 8)}@example.test`,
    fullName: overrides.fullName ?? `Test ${role}`,
    password: TEST_PASSWORD,
    role,
    sessionVersion: 1,
  })
}

/** Clears the sign-in rate limits, so each test starts with a full allowance. */
export async function resetRateLimits() {
  const { default: limiter } = await import('@adonisjs/limiter/services/main')
  await limiter.clear()
}

/** Returns the Location header of a redirect response. */
export function locationOf(response: { header(name: string): string | undefined }) {
  return response.header('location') ?? ''
}
