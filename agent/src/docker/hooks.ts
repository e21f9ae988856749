import { PassThrough } from 'node:stream'
import type Docker from 'dockerode'

/** Commands a resource runs in one of its containers around a backup. */
export interface ContainerHooks {
  /** Container name or id. */
  container: string
  /** Runs before any container is paused, and a non-zero exit aborts the backup. */
  pre?: string[]
  /** Runs after the copy, whether the backup succeeded or not. */
  post?: string[]
}

/** What a hook command did. */
export interface HookResult {
  exitCode: number
  /** The last 4 KiB of stdout and stderr, interleaved. */
  output: string
}

const OUTPUT_LIMIT = 4096

/**
 * Runs a command in a running container with `docker exec` and waits for it to exit. Rejects when
 * the exec cannot start or `signal` aborts. A non-zero exit code is returned, not raised.
 */
export async function runHook(
  docker: Docker,
  container: string,
  command: string[],
  signal?: AbortSignal
): Promise<HookResult> {
  if (command.length === 0) {
    throw new Error(`hook for container ${container} has an empty command`)
  }

  const exec = await docker.getContainer(container).exec({
    Cmd: command,
    AttachStdout: true,
    AttachStderr: true,
  })
  const stream = await exec.start({ hijack: true, stdin: false })

  let output = ''
  const collect = new PassThrough()
  collect.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT)
  })
  docker.modem.demuxStream(stream, collect, collect)

  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      stream.destroy()
      reject(
        new Error(
          `hook in container ${container} was aborted: ${String(signal?.reason ?? 'cancelled')}`
        )
      )
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    stream.on('end', resolve)
    stream.on('close', resolve)
    stream.on('error', reject)
  })

  const info = await exec.inspect()
  return { exitCode: info.ExitCode ?? -1, output: output.trim() }
}
