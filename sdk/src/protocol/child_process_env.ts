/** Variables of the agent's environment that an engine child process inherits. */
export const INHERITED_VARIABLES = ['PATH', 'HOME', 'LANG', 'TMPDIR'] as const

/**
 * Builds an engine child's environment: PATH, HOME, LANG and TMPDIR from the host, plus `extra`.
 * Nothing else of the host's environment reaches the engine, so the agent's own credentials stay
 * out of it. Secrets for an engine travel in call messages instead.
 */
export function engineChildEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  const environment: Record<string, string> = {}
  for (const name of INHERITED_VARIABLES) {
    const value = process.env[name]
    if (value !== undefined) {
      environment[name] = value
    }
  }

  return { ...environment, ...extra }
}
