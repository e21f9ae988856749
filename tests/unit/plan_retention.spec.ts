import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { planRetention } from '#services/retention/plan_retention'

function daily(
  count: number,
  start: string,
  zone = 'UTC',
  status = (_index: number) => 'succeeded'
) {
  return Array.from({ length: count }, (_, index) => ({
    id: `s${String(index).padStart(3, '0')}`,
    status: status(index),
    recordedAt: DateTime.fromISO(start, { zone }).plus({ days: index }),
  }))
}

test.group('Retention plan', () => {
  test('GFS keeps newest per bucket', ({ assert }) => {
    const snapshots = daily(90, '2027-01-01T03:00:00Z')
    const plan = planRetention(snapshots, { daily: 7, weekly: 4, monthly: 3, yearly: 1 }, 'UTC')

    assert.includeMembers(plan.keep, ['s089', 's083'])
    assert.include(plan.keep, 's058')
    assert.include(plan.keep, 's030')
    assert.notInclude(plan.keep, 's000')
    assert.equal(plan.keep.length + plan.forget.length, 90)
    assert.includeMembers(plan.reasons.s089, [
      'newest',
      'daily 2027-03-31',
      'monthly 2027-03',
      'yearly 2027',
    ])
  })

  test('buckets use the timezone', ({ assert }) => {
    const snapshots = [
      { id: 'late', status: 'succeeded', recordedAt: DateTime.fromISO('2027-06-01T23:30:00Z') },
      { id: 'early', status: 'succeeded', recordedAt: DateTime.fromISO('2027-06-01T01:00:00Z') },
    ]
    const utc = planRetention(snapshots, { daily: 2, weekly: 0, monthly: 0, yearly: 0 }, 'UTC')
    assert.deepEqual(utc.forget, ['early'])

    const sydney = planRetention(
      snapshots,
      { daily: 2, weekly: 0, monthly: 0, yearly: 0 },
      'Australia/Sydney'
    )
    assert.deepEqual(sydney.forget, [])
  })

  test('only good snapshots count', ({ assert }) => {
    const snapshots = daily(6, '2027-01-01T03:00:00Z', 'UTC', (index) =>
      index % 2 === 1 ? 'failed' : 'succeeded'
    )
    const plan = planRetention(snapshots, { daily: 2, weekly: 0, monthly: 0, yearly: 0 }, 'UTC')
    assert.deepEqual(plan.keep, ['s004', 's002'])
    assert.deepEqual(plan.forget, ['s000'])
  })

  test('newest good always kept', ({ assert }) => {
    const snapshots = daily(3, '2027-01-01T03:00:00Z', 'UTC', (index) =>
      index === 0 ? 'succeeded' : 'missing'
    )
    const plan = planRetention(snapshots, { daily: 0, weekly: 0, monthly: 0, yearly: 0 }, 'UTC')
    assert.deepEqual(plan.keep, ['s000'])
    assert.deepEqual(plan.forget, [])
  })

  test('sync keeps one', ({ assert }) => {
    const plan = planRetention(
      daily(3, '2027-01-01T03:00:00Z'),
      { daily: 7, weekly: 0, monthly: 0, yearly: 0 },
      'UTC',
      'sync'
    )
    assert.deepEqual(plan.keep, ['s002'])
    assert.deepEqual(plan.forget, ['s001', 's000'])
  })
})
