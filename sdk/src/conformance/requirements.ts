import { constants } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'

/** Options of `kitRequirementProblems`; each defaults to this process's value. */
export interface KitRequirementOptions {
  /** Effective user id. */
  uid?: number
  /** The PATH to search for commands. */
  searchPath?: string
  /** Whether the kit makes tar streams, which it does for engines that accept `tar-stream`. */
  needsTar?: boolean
}

// Commands the kit runs, with the Debian package that provides each one.
const COMMANDS: { command: string; debianPackage: string }[] = [
  { command: 'setfattr', debianPackage: 'attr' },
  { command: 'getfattr', debianPackage: 'attr' },
  { command: 'touch', debianPackage: 'coreutils' },
  { command: 'mkfifo', debianPackage: 'coreutils' },
  { command: 'mknod', debianPackage: 'coreutils' },
]

/**
 * Returns why the conformance kit cannot run here, one message per problem; empty when it can.
 * The kit needs root because the corpus gives files other owners and contains device nodes, and
 * it needs the commands that build and read the corpus.
 */
export async function kitRequirementProblems(
  options: KitRequirementOptions = {}
): Promise<string[]> {
  const problems: string[] = []
  const uid = options.uid ?? process.geteuid?.() ?? 0
  if (uid !== 0) {
    problems.push(
      `the conformance kit needs root, because it sets file owners (chown) and makes device nodes (mknod), but it runs as uid ${uid}; run it as root, for example with sudo`
    )
  }

  const commands = options.needsTar
    ? [...COMMANDS, { command: 'tar', debianPackage: 'tar' }]
    : COMMANDS
  const searchPath = options.searchPath ?? process.env.PATH ?? ''
  for (const { command, debianPackage } of commands) {
    if (!(await isOnPath(command, searchPath))) {
      problems.push(
        `${command} is not on PATH; install it (Debian package ${debianPackage}: apt-get install ${debianPackage})`
      )
    }
  }

  return problems
}

/** Raises an error listing every problem of `kitRequirementProblems`, if there is any. */
export async function assertKitRequirements(options: KitRequirementOptions = {}): Promise<void> {
  const problems = await kitRequirementProblems(options)
  if (problems.length > 0) {
    throw new Error(`cannot run the conformance kit: ${problems.join('; ')}`)
  }
}

async function isOnPath(command: string, searchPath: string): Promise<boolean> {
  for (const folder of searchPath.split(path.delimiter)) {
    if (folder === '') {
      continue
    }

    const found = await fs.access(path.join(folder, command), constants.X_OK).then(
      () => true,
      () => false
    )
    if (found) {
      return true
    }
  }

  return false
}
