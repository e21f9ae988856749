import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { nextRun, nextRuns, parseCron, previousRun } from '#services/schedules/cron_expression'

function runs(cron: string, zone: string, from: string, count: number) {
  return nextRuns(parseCron(cron), zone, DateTime.fromISO(from, { zone }), count).map((run) =>
    run.toISO({ suppressMilliseconds: true, suppressSeconds: true })
  )
}

test.group('Cron expression', () => {
  test('rejects invalid fields', ({ assert }) => {
    assert.throws(() => parseCron('61 * * * *'), /Invalid minute "61"/)
    assert.throws(() => parseCron('* * * *'), /expected 5 fields/)
    assert.throws(() => parseCron('0 0 * FOO *'), /Invalid month/)
    assert.throws(() => parseCron('0 0 5-1 * *'), /start is after the end/)
    assert.throws(() => parseCron('*/0 * * * *'), /Invalid minute/)
  })

  test('names, lists and steps', ({ assert }) => {
    const expression = parseCron('0,30 */6 * JAN-MAR MON,FRI')
    assert.deepEqual(expression.minutes, [0, 30])
    assert.deepEqual(expression.hours, [0, 6, 12, 18])
    assert.deepEqual(expression.months, [1, 2, 3])
    assert.deepEqual(expression.weekdays, [1, 5])
    assert.deepEqual(parseCron('0 0 * * 7').weekdays, [0])
    assert.deepEqual(parseCron('@daily').hours, [0])
  })

  test('L and short months', ({ assert }) => {
    assert.deepEqual(runs('0 0 L * *', 'UTC', '2027-01-15T00:00', 3), [
      '2027-01-31T00:00Z',
      '2027-02-28T00:00Z',
      '2027-03-31T00:00Z',
    ])
    assert.deepEqual(runs('0 0 31 * *', 'UTC', '2027-01-15T00:00', 3), [
      '2027-01-31T00:00Z',
      '2027-03-31T00:00Z',
      '2027-05-31T00:00Z',
    ])
    assert.deepEqual(runs('0 0 29 2 *', 'UTC', '2097-01-01T00:00', 1), ['2104-02-29T00:00Z'])
  })

  test('day fields combine with or', ({ assert }) => {
    assert.deepEqual(runs('0 0 1 * MON', 'UTC', '2027-03-01T00:00', 3), [
      '2027-03-08T00:00Z',
      '2027-03-15T00:00Z',
      '2027-03-22T00:00Z',
    ])
  })

  test('search is bounded', ({ assert }) => {
    assert.isNull(nextRun(parseCron('0 0 30 2 *'), 'UTC', DateTime.fromISO('2027-01-01T00:00Z')))
    assert.isNull(
      previousRun(parseCron('0 0 31 4 *'), 'UTC', DateTime.fromISO('2027-01-01T00:00Z'))
    )
  })

  test('gap and ambiguous hour', ({ assert }) => {
    assert.deepEqual(runs('*/30 2 * * *', 'Europe/Berlin', '2027-03-28T00:00', 2), [
      '2027-03-28T03:00+02:00',
      '2027-03-29T02:00+02:00',
    ])
    assert.deepEqual(runs('*/30 1-3 * * *', 'Europe/Berlin', '2027-10-31T00:00', 7), [
      '2027-10-31T01:00+02:00',
      '2027-10-31T01:30+02:00',
      '2027-10-31T02:00+02:00',
      '2027-10-31T02:30+02:00',
      '2027-10-31T03:00+01:00',
      '2027-10-31T03:30+01:00',
      '2027-11-01T01:00+01:00',
    ])
  })

  test('previous run matches next run', ({ assert }) => {
    const expression = parseCron('15 2 * * *')
    const from = DateTime.fromISO('2027-03-28T12:00', { zone: 'America/New_York' })
    const previous = previousRun(expression, 'America/New_York', from)!
    assert.equal(
      nextRun(expression, 'America/New_York', previous.minus({ minutes: 1 }))!.toISO(),
      previous.toISO()
    )
    assert.equal(previous.toISO({ suppressMilliseconds: true }), '2027-03-28T02:15:00-04:00')
  })
})
