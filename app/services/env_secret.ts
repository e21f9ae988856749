import env from '#start/env'

/**
 * Returns the value of a secret environment variable, or undefined when it is unset or empty.
 * Accepts plain strings too, because `env.set` (used by tests) stores strings, not Secrets.
 */
export function secretFromEnv(name: string): string | undefined {
  const value: unknown = env.get(name as never)
  if (value && typeof value === 'object' && 'release' in value) {
    return (value as { release(): string }).release() || undefined
  }
  return typeof value === 'string' && value !== '' ? value : undefined
}
