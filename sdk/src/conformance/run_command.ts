import { execFile } from 'node:child_process'

/** Output of a finished command. */
export interface CommandOutput {
  stdout: Buffer
  stderr: string
}

/**
 * Runs `command` with `args` (never through a shell) and returns its output. Rejects with the
 * command, exit code and stderr when it fails, and names the Debian package to install when the
 * command is missing.
 */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd?: string; debianPackage?: string } = {}
): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        cwd: options.cwd,
        encoding: 'buffer',
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ stdout, stderr: stderr.toString() })
          return
        }

        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          const hint = options.debianPackage
            ? `; install it (Debian package ${options.debianPackage})`
            : ''
          reject(new Error(`command ${command} not found${hint}`))
          return
        }

        const detail = stderr.toString().trim() || error.message
        reject(new Error(`${command} ${args.join(' ')} failed (exit ${error.code}): ${detail}`))
      }
    )
    child.stdin?.end()
  })
}
