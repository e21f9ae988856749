/*
 * Helpers available in every Edge template.
 */

import edge from 'edge.js'

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/** Formats a byte count with binary units, such as `1.5 GiB`. */
export function formatBytes(bytes: number) {
  let value = Number(bytes) || 0
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`
}

/** Formats a duration in seconds as `1h 2m 3s`. */
export function formatDuration(seconds: number) {
  const total = Math.max(0, Math.round(seconds))
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const rest = total % 60
  return [hours ? `${hours}h` : '', minutes ? `${minutes}m` : '', `${rest}s`]
    .filter(Boolean)
    .join(' ')
}

edge.global('formatBytes', formatBytes)
edge.global('formatDuration', formatDuration)
