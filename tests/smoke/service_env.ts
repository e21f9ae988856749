/**
 * Reads the variables that `scripts/services/<service>.sh start` writes to
 * `$COFFER_SERVICES_DIR/<service>.env`, which the test command loads into the environment.
 * Throws an error naming the service to start when any variable is missing.
 */
export function serviceEnv<const Name extends string>(
  service: string,
  names: readonly Name[]
): Record<Name, string> {
  const missing = names.filter((name) => !process.env[name])
  if (missing.length > 0) {
    throw new Error(
      `Missing environment variables ${missing.join(', ')}: start the ${service} service ` +
        `(scripts/services/${service}.sh start) and load $COFFER_SERVICES_DIR/${service}.env ` +
        `into the environment before running the tests`
    )
  }

  return Object.fromEntries(names.map((name) => [name, process.env[name]!])) as Record<Name, string>
}
