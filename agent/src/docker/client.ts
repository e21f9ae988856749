import Docker from 'dockerode'

/** Opens a Docker API client on the daemon's unix socket. */
export function createDockerClient(socketPath: string): Docker {
  return new Docker({ socketPath })
}

/** Tells whether a dockerode error is the daemon's 404 (no such container, volume or image). */
export function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number } | undefined)?.statusCode === 404
}

/** Tells whether a dockerode error is the daemon's 304 (already paused, started or stopped). */
export function isNotModified(error: unknown): boolean {
  return (error as { statusCode?: number } | undefined)?.statusCode === 304
}
