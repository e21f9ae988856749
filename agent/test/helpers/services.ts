/** Returns an environment variable a test service provides, or raises naming the service to start. */
export function requireServiceEnv(name: string, service: string): string {
  const value = process.env[name]
  if (value === undefined || value === '') {
    throw new Error(
      `${name} is not set; start the ${service} service with "scripts/services/${service}.sh start" and source $COFFER_SERVICES_DIR/${service}.env`
    )
  }

  return value
}
