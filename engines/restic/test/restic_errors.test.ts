import { describe, expect, test } from 'vitest'
import type { ResticBinary } from '../src/restic_binary.js'
import { classifyFailure, lastLines, resticError } from '../src/restic_errors.js'

const restic014: ResticBinary = {
  path: 'restic',
  version: '0.14.0',
  sparseRestore: false,
  exitCodes: false,
}
const restic017: ResticBinary = { ...restic014, version: '0.17.0', exitCodes: true }

/** restic 0.14's output when another process holds the lock (abridged from a real run). */
const LIVE_LOCK = `unable to create lock in backend: repository is already locked by PID 28531 on vm by root (UID 0, GID 0)
lock was created at 2026-12-04 21:55:59 (2.433243131s ago)
storage ID 39d48504
the \`unlock\` command can be used to remove stale locks
`

/** restic 0.14's output when the locks folder is not writable (abridged from a real run). */
const UNWRITABLE_LOCKS = `Save(<lock/fbd7a394d5>) returned error, retrying after 552.330144ms: open /srv/repo/locks/fbd7a394-tmp-3703690634: permission denied
open /srv/repo/locks/fbd7a394-tmp-577212316: permission denied
github.com/restic/restic/internal/backend/local.(*Local).Save
\tgithub.com/restic/restic/internal/backend/local/local.go:153
main.lockRepository
\tgithub.com/restic/restic/cmd/restic/lock.go:42
runtime.goexit
\truntime/asm_amd64.s:1594
unable to create lock in backend
`

describe('restic lock errors', () => {
  test('live lock is locked', () => {
    expect(classifyFailure(restic014, { exitCode: 1, stderr: LIVE_LOCK })).toBe('locked')
    expect(classifyFailure(restic017, { exitCode: 11, stderr: LIVE_LOCK })).toBe('locked')
  })

  test('unwritable locks folder is no lock', () => {
    expect(classifyFailure(restic014, { exitCode: 1, stderr: UNWRITABLE_LOCKS })).toBe(
      'lock-failed'
    )
    expect(classifyFailure(restic017, { exitCode: 1, stderr: UNWRITABLE_LOCKS })).toBe(
      'lock-failed'
    )
  })

  test('lock failure is a storage error', () => {
    const error = resticError(restic014, '/srv/repo', 'forget', {
      exitCode: 1,
      stderr: UNWRITABLE_LOCKS,
    })
    expect(error.code).toBe('STORAGE')
    expect(error.message).toContain('permission denied')
    expect(error.message).not.toMatch(/another running restic process|wait/i)
  })

  test('live lock is REPOSITORY_LOCKED', () => {
    const error = resticError(restic014, '/srv/repo', 'forget', { exitCode: 1, stderr: LIVE_LOCK })
    expect(error.code).toBe('REPOSITORY_LOCKED')
  })
})

describe('restic error output', () => {
  test('stack frames left out', () => {
    expect(lastLines(UNWRITABLE_LOCKS)).toBe(
      'open /srv/repo/locks/fbd7a394-tmp-577212316: permission denied / unable to create lock in backend'
    )
  })
})
