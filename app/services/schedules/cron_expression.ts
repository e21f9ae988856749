import { DateTime, IANAZone } from 'luxon'

/** Raised for an invalid cron expression or timezone; the message names the field and the fix. */
export class CronError extends Error {
  code = 'INVALID_CRON'
}

/** A parsed five-field cron expression: the allowed values of each field. */
export interface CronExpression {
  source: string
  minutes: number[]
  hours: number[]
  /** Days of the month, 1-31. */
  days: number[]
  /** `L` in the day-of-month field: the last day of each month. */
  lastDayOfMonth: boolean
  months: number[]
  /** Days of the week, 0-6 with 0 for Sunday (7 is read as Sunday too). */
  weekdays: number[]
  /** Whether the day-of-month and day-of-week fields were restricted (not `*`). */
  daysRestricted: boolean
  weekdaysRestricted: boolean
}

const MONTH_NAMES = [
  'JAN',
  'FEB',
  'MAR',
  'APR',
  'MAY',
  'JUN',
  'JUL',
  'AUG',
  'SEP',
  'OCT',
  'NOV',
  'DEC',
]
const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
}

/**
 * How far the next-run search looks ahead. Eight years covers `0 0 29 2 *`, whose next run can
 * be eight years away when a century year is not a leap year (2096 to 2104).
 */
const SEARCH_DAYS = 366 * 8 + 2

interface FieldSpec {
  name: string
  min: number
  max: number
  names?: string[]
  /** The value of the first name (months start at 1, weekdays at 0). */
  nameBase?: number
}

const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 },
  { name: 'day of week', min: 0, max: 7, names: WEEKDAY_NAMES, nameBase: 0 },
]

/**
 * Parses a five-field cron expression (minute hour day-of-month month day-of-week) with lists,
 * ranges, steps, month and weekday names, `L` as the last day of the month, and the @daily
 * family of macros. The validator and the scheduler both parse with this function.
 */
export function parseCron(source: string): CronExpression {
  const trimmed = source.trim()
  const expanded = MACROS[trimmed.toLowerCase()] ?? trimmed
  const parts = expanded.split(/\s+/)
  if (parts.length !== 5) {
    throw new CronError(
      `Invalid cron expression "${source}": expected 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}.`
    )
  }

  const [minuteField, hourField, dayField, monthField, weekdayField] = parts
  const dayParts = dayField.toUpperCase().split(',')
  const lastDayOfMonth = dayParts.includes('L')
  const plainDays = dayParts.filter((part) => part !== 'L')

  const weekdays = parseField(weekdayField, FIELDS[4], source).map((day) => (day === 7 ? 0 : day))

  return {
    source: trimmed,
    minutes: parseField(minuteField, FIELDS[0], source),
    hours: parseField(hourField, FIELDS[1], source),
    days: plainDays.length > 0 ? parseField(plainDays.join(','), FIELDS[2], source) : [],
    lastDayOfMonth,
    months: parseField(monthField, FIELDS[3], source),
    weekdays: [...new Set(weekdays)].sort((a, b) => a - b),
    daysRestricted: dayField !== '*' && dayField !== '?',
    weekdaysRestricted: weekdayField !== '*' && weekdayField !== '?',
  }
}

/** Parses one field into its sorted allowed values. */
function parseField(field: string, spec: FieldSpec, source: string): number[] {
  const values = new Set<number>()

  for (const part of field.split(',')) {
    const [rangePart, stepPart, extra] = part.split('/')
    if (extra !== undefined || rangePart === '') {
      throw invalidField(spec, part, source)
    }

    const step = stepPart === undefined ? 1 : Number(stepPart)
    if (!Number.isInteger(step) || step < 1 || !/^\d+$/.test(stepPart ?? '1')) {
      throw invalidField(spec, part, source)
    }

    let start: number
    let end: number
    if (rangePart === '*' || rangePart === '?') {
      start = spec.min
      end = spec.max
    } else if (rangePart.includes('-')) {
      const [low, high] = rangePart.split('-')
      start = parseValue(low, spec, source)
      end = parseValue(high, spec, source)
    } else {
      start = parseValue(rangePart, spec, source)
      end = stepPart === undefined ? start : spec.max
    }

    if (start > end) {
      throw new CronError(
        `Invalid ${spec.name} range "${part}" in "${source}": the start is after the end. Write the smaller value first.`
      )
    }

    for (let value = start; value <= end; value += step) {
      values.add(value)
    }
  }

  return [...values].sort((a, b) => a - b)
}

/** Parses a number or a month or weekday name within the field's bounds. */
function parseValue(text: string, spec: FieldSpec, source: string) {
  const upper = text.toUpperCase()
  const nameIndex = spec.names?.indexOf(upper) ?? -1
  const value =
    nameIndex >= 0
      ? nameIndex + (spec.nameBase ?? 0)
      : /^\d+$/.test(text)
        ? Number(text)
        : Number.NaN

  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw invalidField(spec, text, source)
  }
  return value
}

function invalidField(spec: FieldSpec, part: string, source: string) {
  const names = spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : ''
  return new CronError(
    `Invalid ${spec.name} "${part}" in "${source}": use ${spec.min}-${spec.max}${names}, lists (a,b), ranges (a-b) and steps (*/n).`
  )
}

/** Checks an IANA timezone name, raising a CronError with the fix. */
export function assertTimezone(zone: string) {
  if (!IANAZone.isValidZone(zone)) {
    throw new CronError(
      `Unknown timezone "${zone}": use an IANA name such as Europe/Berlin, America/New_York or UTC.`
    )
  }
}

/** Checks whether a calendar day matches the day-of-month, month and day-of-week fields. */
function matchesDay(expression: CronExpression, day: DateTime) {
  if (!expression.months.includes(day.month)) {
    return false
  }

  const dayOfMonth =
    expression.days.includes(day.day) || (expression.lastDayOfMonth && day.day === day.daysInMonth)
  const weekday = expression.weekdays.includes(day.weekday % 7)

  // Standard cron: when both day fields are restricted, a day matching either one runs.
  if (expression.daysRestricted && expression.weekdaysRestricted) {
    return dayOfMonth || weekday
  }
  if (expression.daysRestricted) {
    return dayOfMonth
  }
  if (expression.weekdaysRestricted) {
    return weekday
  }
  return true
}

/**
 * Converts a wall-clock time of a zone to the instant it runs at. A time inside a daylight-saving
 * gap runs at the first valid instant after the gap, which is the end of the gap. An ambiguous
 * time (clocks set back) runs once, at its first occurrence.
 */
export function wallTimeToInstant(
  zone: string,
  wall: { year: number; month: number; day: number; hour: number; minute: number }
): DateTime {
  const wallAsUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute)
  const offsets = new Set<number>()
  for (const shiftHours of [-36, 0, 36]) {
    offsets.add(offsetAt(zone, wallAsUtc + shiftHours * 3_600_000))
  }

  const valid = [...offsets]
    .map((offset) => wallAsUtc - offset * 60_000)
    .filter((instant) => offsetAt(zone, instant) * 60_000 === wallAsUtc - instant)
    .sort((a, b) => a - b)

  if (valid.length > 0) {
    return DateTime.fromMillis(valid[0], { zone })
  }

  // In a gap: the transition lies between the instants the wall time would have with the
  // offsets on either side. Find the first minute that has the later offset.
  const sorted = [...offsets].sort((a, b) => a - b)
  let low = wallAsUtc - sorted[sorted.length - 1] * 60_000
  let high = wallAsUtc - sorted[0] * 60_000
  const after = offsetAt(zone, high)
  while (high - low > 60_000) {
    const middle = low + Math.floor((high - low) / 120_000) * 60_000
    if (offsetAt(zone, middle) === after) {
      high = middle
    } else {
      low = middle
    }
  }
  return DateTime.fromMillis(high, { zone })
}

function offsetAt(zone: string, instant: number) {
  return IANAZone.create(zone).offset(instant)
}

/**
 * Returns the first run strictly after `after`, in the given IANA zone, or null when none falls
 * within the next eight years (for example `0 0 30 2 *`).
 */
export function nextRun(
  expression: CronExpression,
  zone: string,
  after: DateTime
): DateTime | null {
  assertTimezone(zone)
  const afterMillis = after.toMillis()
  let day = after.setZone(zone).startOf('day').minus({ days: 1 })

  for (let index = 0; index < SEARCH_DAYS; index++, day = day.plus({ days: 1 })) {
    if (!matchesDay(expression, day)) {
      continue
    }

    for (const hour of expression.hours) {
      // Wall times map to instants in order, so an hour whose last minute is not after
      // `after` contains no candidate.
      const lastMinute = expression.minutes[expression.minutes.length - 1]
      if (instantOf(zone, day, hour, lastMinute).toMillis() <= afterMillis) {
        continue
      }

      for (const minute of expression.minutes) {
        const instant = instantOf(zone, day, hour, minute)
        if (instant.toMillis() > afterMillis) {
          return instant
        }
      }
    }
  }

  return null
}

/**
 * Returns the latest run at or before `atOrBefore`, in the given IANA zone, or null when none
 * falls within the previous eight years.
 */
export function previousRun(
  expression: CronExpression,
  zone: string,
  atOrBefore: DateTime
): DateTime | null {
  assertTimezone(zone)
  const limit = atOrBefore.toMillis()
  let day = atOrBefore.setZone(zone).startOf('day').plus({ days: 1 })
  const hours = [...expression.hours].reverse()
  const minutes = [...expression.minutes].reverse()

  for (let index = 0; index < SEARCH_DAYS; index++, day = day.minus({ days: 1 })) {
    if (!matchesDay(expression, day)) {
      continue
    }

    for (const hour of hours) {
      if (instantOf(zone, day, hour, expression.minutes[0]).toMillis() > limit) {
        continue
      }

      for (const minute of minutes) {
        const instant = instantOf(zone, day, hour, minute)
        if (instant.toMillis() <= limit) {
          return instant
        }
      }
    }
  }

  return null
}

function instantOf(zone: string, day: DateTime, hour: number, minute: number) {
  return wallTimeToInstant(zone, { year: day.year, month: day.month, day: day.day, hour, minute })
}

/** Returns up to `count` runs after `after`, in order, without repeating an instant. */
export function nextRuns(
  expression: CronExpression,
  zone: string,
  after: DateTime,
  count: number
): DateTime[] {
  const runs: DateTime[] = []
  let cursor = after
  while (runs.length < count) {
    const next = nextRun(expression, zone, cursor)
    if (!next) {
      break
    }
    runs.push(next)
    cursor = next
  }
  return runs
}
