import { readJsonFile, writeFileAtomic } from './atomic_file.js'

/** The agent's identity: the id and bearer token the controller issued on enrollment. */
export interface AgentCredentials {
  agentId: string
  /** Secret bearer token, stored only in this file (mode 0600). */
  token: string
  /** The controller that issued the token, so a changed URL leads to a new enrollment. */
  controllerUrl: string
  enrolledAt: string
}

/** Reads the stored credentials, or returns undefined when the agent has not enrolled. */
export async function readCredentials(path: string): Promise<AgentCredentials | undefined> {
  const stored = await readJsonFile<AgentCredentials>(path)
  if (stored === undefined) {
    return undefined
  }

  if (
    typeof stored.agentId !== 'string' ||
    typeof stored.token !== 'string' ||
    stored.token === ''
  ) {
    throw new Error(`${path} does not contain an agent id and token; remove it to enroll again`)
  }

  return stored
}

/** Stores the credentials in a file of mode 0600. */
export async function writeCredentials(path: string, credentials: AgentCredentials): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(credentials, null, 2) + '\n', 0o600)
}
