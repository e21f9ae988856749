import app from '@adonisjs/core/services/app'
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
 * Builds the one-line install command shown once when an enrollment token is revealed. The token
 * travels in an environment variable of the shell that runs the script, not in the URL, so
 * it stays out of the controller's access logs.
 */
export function installCommand(baseUrl: string, enrollmentToken: string) {
  return `curl -fsSL ${baseUrl}/install.sh | COFFER_ENROLLMENT_TOKEN='${enrollmentToken}' sh`
}

/**
 * Builds the command that starts an agent from this repository without building an image, for trying
 * Coffer on one machine. `trustedKey` is the local publisher key that signed the workspace's
 * engines (`node ace engines:sign-local`), which the agent must trust to run them.
 */
export function localAgentCommand(baseUrl: string, enrollmentToken: string, trustedKey?: string) {
  const settings = [
    `COFFER_CONTROLLER_URL=${baseUrl}`,
    `COFFER_ENROLLMENT_TOKEN='${enrollmentToken}'`,
    // The agent accepts only absolute paths. These point into this checkout's tmp/ folder.
    `COFFER_STATE_DIR=${shellQuote(app.tmpPath('agent-state'))}`,
    `COFFER_WORK_DIR=${shellQuote(app.tmpPath('agent-work'))}`,
    'COFFER_LOCAL_DESTINATION_ROOT=/backups',
  ]
  if (trustedKey) {
    settings.push(`COFFER_TRUSTED_KEYS=${trustedKey}`)
  }
  // `export` is a shell builtin and npm passes its environment on to the agent, so the token
  // never appears in a process's arguments. The shell must run as root or as a user allowed to
  // use the Docker socket, because the agent drives Docker through that socket.
  return `export ${settings.join(' ')}\nnpm run agent`
}

/** Quotes a value for a POSIX shell, so spaces and quotes in a path stay one word. */
function shellQuote(value: string) {
  return `'${value.replaceAll("'", `'\\''`)}'`
}
