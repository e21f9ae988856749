import { randomBytes } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import env from '#start/env'
import Resource from '#models/resource'
import { signWorkspaceEngines } from '#services/engines/sign_workspace_engines'
import { BrowserSession } from '#tests/helpers/browser_session'
import { startAgentProcess, waitFor, type AgentProcess } from '#tests/helpers/agent_process'
import { serviceEnv } from '#tests/smoke/service_env'

/** Decodes the HTML entities Edge writes for quotes and ampersands. */
export function decodeHtml(text: string) {
  return text
    .replace(/&#x27;|&#39;/g, "'")
    .replaceAll('&amp;', '&')
    .replaceAll('&quot;', '"')
}

/** The job id of a redirect to a job page. */
export function jobIdFrom(location: string | null) {
  const match = /^\/jobs\/([0-9a-f-]{36})$/.exec(location ?? '')
  if (!match) {
    throw new Error(`Expected a redirect to a job page, got ${location}`)
  }
  return match[1]
}

/**
 * Registers the first account, which becomes the admin, through the register form. Throws with
 * the start of the page when the panel does not redirect after the registration.
 */
export async function registerAdmin(browser: BrowserSession, email = 'ada@example.com') {
  await browser.get('/register')
  const registered = await browser.post('/register', {
    fullName: 'Ada Admin',
    email,
    password: 'correct horse battery staple',
    passwordConfirmation: 'correct horse battery staple',
  })
  if (registered.response.status !== 302) {
    throw new Error(`Registration failed: ${registered.text.slice(0, 500)}`)
  }
}

/**
 * Does what a new admin does before the first backup, through the panel: registers, signs and
 * registers the workspace engines, adds a Docker instance and reveals its enrollment token.
 */
export async function preparePanel() {
  const browser = new BrowserSession(`http://127.0.0.1:${env.get('PORT')}`)

  await registerAdmin(browser, `ada-${randomBytes(3).toString('hex')}@example.com`)

  const signing = await signWorkspaceEngines()
  await browser.get('/engines')
  await browser.post('/engines/scan', {})

  await browser.get('/instances/create')
  const created = await browser.post('/instances', { name: 'lab', kind: 'docker' })
  await browser.get(created.location!)
  const reveal = await browser.post(`${created.location}/enrollment-token`, {})
  const enrollmentToken = /COFFER_ENROLLMENT_TOKEN='([^']+)'/.exec(decodeHtml(reveal.text))?.[1]
  if (!enrollmentToken) {
    throw new Error('The install command page shows no enrollment token')
  }

  return { browser, publicKey: signing.publicKey, enrollmentToken }
}

/** Starts the agent against the test panel, trusting the local publisher key. */
export async function startTestAgent(
  panel: { browser: BrowserSession; publicKey: string; enrollmentToken: string },
  destinationRoot: string,
  stateDir?: string
): Promise<AgentProcess> {
  const { DOCKER_SOCKET } = serviceEnv('docker', ['DOCKER_SOCKET'])
  return startAgentProcess({
    controllerUrl: panel.browser.baseUrl,
    enrollmentToken: panel.enrollmentToken,
    dockerSocket: DOCKER_SOCKET,
    trustedKeys: panel.publicKey,
    localDestinationRoot: destinationRoot,
    stateDir,
  })
}

/** Waits until the agent reported a volume, and returns its resource. */
export function waitForVolumeResource(volumeName: string) {
  return waitFor(`the agent to report volume ${volumeName}`, async () => {
    return (await Resource.query().where('name', volumeName).first()) ?? undefined
  })
}

/** Adds a local destination with the given engine through the panel; returns its id. */
export async function addLocalDestination(
  browser: BrowserSession,
  name: string,
  engineId: string,
  folder: string,
  engineOptions: Record<string, string> = {}
) {
  await browser.get('/destinations/create')
  const fields: Record<string, string> = { name, kind: 'local', engineId, localPath: folder }
  for (const [option, value] of Object.entries(engineOptions)) {
    fields[`engineOptions[${option}]`] = value
  }
  const created = await browser.post('/destinations', fields)
  const id = /^\/destinations\/([0-9a-f-]{36})$/.exec(created.location ?? '')?.[1]
  if (!id) {
    throw new Error(`Adding destination ${name} failed: ${created.text.slice(0, 500)}`)
  }
  return id
}

/** A fresh folder for local destinations. */
export function makeDestinationRoot() {
  return mkdtemp(join(tmpdir(), 'coffer-e2e-backups-'))
}
