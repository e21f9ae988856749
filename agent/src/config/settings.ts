/** One environment variable the agent reads, as `--help` lists it. */
export interface SettingDefinition {
  name: string
  /** Description of the value the variable sets, with its unit. */
  description: string
  /** The value used when the variable is unset, as text, or undefined when the variable is required. */
  defaultValue?: string
}

/** Every environment variable of the agent, in the order `--help` lists them. */
export const SETTINGS: SettingDefinition[] = [
  {
    name: 'COFFER_CONTROLLER_URL',
    description:
      'Base URL of the Coffer controller, such as https://coffer.example.com. Plain http is accepted only for 127.0.0.1, ::1 and localhost.',
  },
  {
    name: 'COFFER_ENROLLMENT_TOKEN',
    description:
      "Enrollment token of the Coolify instance, exchanged once for the agent's own token. Needed only until the agent has enrolled.",
    defaultValue: '',
  },
  {
    name: 'COFFER_STATE_DIR',
    description:
      "Folder (mode 0700) for the agent's token, its record of paused containers and its verified engines. Keep it on a persistent volume.",
    defaultValue: '/var/lib/coffer-agent',
  },
  {
    name: 'COFFER_DOCKER_SOCKET',
    description: "Path of the Docker daemon's unix socket.",
    defaultValue: '/var/run/docker.sock',
  },
  {
    name: 'COFFER_WORK_DIR',
    description: 'Folder for per-job scratch folders, removed after each job.',
    defaultValue: '/tmp/coffer-agent',
  },
  {
    name: 'COFFER_CONCURRENCY',
    description: 'Maximum number of jobs the agent runs at once (1 to 16).',
    defaultValue: '2',
  },
  {
    name: 'COFFER_TRUSTED_KEYS',
    description:
      'Extra trusted engine publisher keys, comma separated, each "ed25519:<base64>". The first-party key is always trusted.',
    defaultValue: '',
  },
  {
    name: 'COFFER_TRUSTED_KEYS_FILE',
    description:
      'File with more trusted publisher keys, one "ed25519:<base64>" per line. Lines starting with # are comments.',
    defaultValue: '',
  },
  {
    name: 'COFFER_POLL_SECONDS',
    description:
      'Seconds the controller may hold a lease request open before it returns no job (1 to 30).',
    defaultValue: '25',
  },
  {
    name: 'COFFER_HEARTBEAT_SECONDS',
    description:
      'Seconds between heartbeats (1 to 3600) until the controller sends its own interval.',
    defaultValue: '15',
  },
  {
    name: 'COFFER_JOB_TIMEOUT_SECONDS',
    description:
      "Upper limit in seconds for any job. A job's own timeout applies when it is shorter.",
    defaultValue: '21600',
  },
  {
    name: 'COFFER_LOCAL_DESTINATION_ROOT',
    description:
      'Folder that contains every local destination. A local destination outside it is rejected.',
    defaultValue: '/backups',
  },
  {
    name: 'COFFER_HELPER_IMAGE',
    description:
      'Small image with a shell (such as busybox) for helper containers that reach a volume the agent cannot see. The agent pulls it when missing.',
    defaultValue: 'busybox:stable',
  },
  {
    name: 'COFFER_LOG_LEVEL',
    description: 'Log level: trace, debug, info, warn, error or fatal.',
    defaultValue: 'info',
  },
]

/** Formats the `--help` text. */
export function formatHelp(): string {
  const lines = [
    'Usage: coffer-agent [--help] [--version]',
    '',
    "Runs Coffer's agent on a Docker host: it enrolls with the controller, sends heartbeats,",
    'leases backup and restore jobs and runs verified engines. Settings come from these',
    'environment variables:',
    '',
  ]

  for (const setting of SETTINGS) {
    const suffix =
      setting.defaultValue === undefined
        ? ' (required)'
        : setting.defaultValue === ''
          ? ''
          : ` (default: ${setting.defaultValue})`
    lines.push(`  ${setting.name}${suffix}`)
    lines.push(...wrap(setting.description, 90).map((line) => `      ${line}`))
  }

  return lines.join('\n') + '\n'
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let current = ''
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current)
      current = word
      continue
    }

    current = current === '' ? word : `${current} ${word}`
  }

  if (current !== '') {
    lines.push(current)
  }

  return lines
}
