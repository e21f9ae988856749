import { test } from '@japa/runner'
import User from '#models/user'

test.group('User.hasRole', () => {
  test('{role} covers {covers}')
    .with([
      { role: 'admin', covers: 'viewer', expected: true },
      { role: 'admin', covers: 'admin', expected: true },
      { role: 'operator', covers: 'viewer', expected: true },
      { role: 'operator', covers: 'admin', expected: false },
      { role: 'viewer', covers: 'operator', expected: false },
    ])
    .run(({ assert }, row) => {
      const user = new User()
      user.role = row.role

      assert.equal(user.hasRole(row.covers as 'viewer'), row.expected)
    })
})
