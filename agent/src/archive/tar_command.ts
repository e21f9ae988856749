import { spawn } from 'node:child_process'
import { PassThrough, type Readable } from 'node:stream'

/** Options of `tarFolder`. */
export interface TarFolderOptions {
  /**
   * Called when GNU tar exits with 1, which means a file changed while it was read (the archive
   * is still complete). With it, exit code 1 ends the stream normally; without it, it is an error.
   */
  onFilesChanged?: (stderr: string) => void
}

/**
 * Streams a folder's content as a tar archive with `./`-relative names and numeric owners, made by
 * the system's tar. A non-zero exit of tar destroys the stream with tar's stderr as the error.
 */
export function tarFolder(folder: string, options: TarFolderOptions = {}): Readable {
  const child = spawn('tar', ['--numeric-owner', '-C', folder, '-cf', '-', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output = new PassThrough()
  let stderr = ''

  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000)
  })
  child.stdout.pipe(output, { end: false })
  child.on('error', (error) => output.destroy(new Error(`could not start tar: ${error.message}`)))
  child.on('close', (code) => {
    if (code === 0) {
      output.end()
      return
    }

    if (code === 1 && options.onFilesChanged) {
      options.onFilesChanged(stderr.trim())
      output.end()
      return
    }

    output.destroy(new Error(`tar of ${folder} exited with code ${code}: ${stderr.trim()}`))
  })
  output.on('close', () => {
    if (child.exitCode === null) {
      child.kill()
    }
  })

  return output
}

/** Extracts a tar stream into an existing folder with the system's tar, keeping numeric owners. */
export function extractTar(stream: Readable, folder: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['--numeric-owner', '-xf', '-', '-C', folder], {
      stdio: ['pipe', 'ignore', 'pipe'],
    })
    let stderr = ''

    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000)
    })
    child.on('error', (error) => reject(new Error(`could not start tar: ${error.message}`)))
    child.on('close', (code) => {
      if (code === 0) {
        resolve()
        return
      }

      reject(
        new Error(
          `extracting a tar stream into ${folder} failed: tar exited with code ${code}: ${stderr.trim()}`
        )
      )
    })
    stream.on('error', (error) => {
      child.kill()
      reject(error)
    })
    stream.pipe(child.stdin)
  })
}
