import { ProtocolError } from '../errors.js'

/**
 * Picks the highest engine API major both sides implement. Raises `API_TOO_OLD` when every
 * engine major is below the host's, and `API_TOO_NEW` when every engine major is above them.
 */
export function negotiateApiVersion(
  engineId: string,
  engineVersions: number[],
  hostVersions: number[]
): number {
  const common = engineVersions.filter((version) => hostVersions.includes(version))
  if (common.length > 0) {
    return Math.max(...common)
  }

  const engineList = engineVersions.join(', ')
  const hostList = hostVersions.join(', ')
  const details = { engineId, engineApiVersions: engineVersions, hostApiVersions: hostVersions }

  if (Math.max(...engineVersions) < Math.min(...hostVersions)) {
    return raise(
      'API_TOO_OLD',
      `engine ${engineId} implements engine API ${engineList}, older than the ${hostList} this agent supports; install a newer version of the engine`,
      details
    )
  }

  return raise(
    'API_TOO_NEW',
    `engine ${engineId} implements engine API ${engineList}, newer than the ${hostList} this agent supports; upgrade the agent`,
    details
  )
}

function raise(
  code: 'API_TOO_OLD' | 'API_TOO_NEW',
  message: string,
  details: Record<string, unknown>
): never {
  throw new ProtocolError(code, message, { details })
}
