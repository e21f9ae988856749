import env from '#start/env'

/** An origin made only of a scheme, a host name or address and a port. */
const SAFE_ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/

/**
 * The controller's public URL, as agents must reach it: APP_URL, else the origin of the current
 * request when it is a plain scheme, host and port (it is written into a shell script).
 */
export function controllerUrl(requestOrigin?: string) {
  const configured = env.get('APP_URL')
  if (configured) {
    return configured.replace(/\/+$/, '')
  }
  if (requestOrigin && SAFE_ORIGIN.test(requestOrigin)) {
    return requestOrigin
  }
  return 'http://127.0.0.1:3333'
}

/**
 * The one-line install command shown once when an enrollment token is revealed. The token
 * travels in an environment variable of the shell that runs the script, not in the URL, so
 * it stays out of the controller's access logs.
 */
export function installCommand(baseUrl: string, enrollmentToken: string) {
  return `curl -fsSL ${baseUrl}/install.sh | COFFER_ENROLLMENT_TOKEN='${enrollmentToken}' sh`
}

/**
 * The command that starts an agent from this repository without building an image, for trying
 * Coffer on one machine.
 */
export function localAgentCommand(baseUrl: string, enrollmentToken: string) {
  return `COFFER_CONTROLLER_URL=${baseUrl} COFFER_ENROLLMENT_TOKEN='${enrollmentToken}' npm run agent`
}
