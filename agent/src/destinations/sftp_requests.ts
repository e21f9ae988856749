import type { FileEntryWithStats, OpenMode, SFTPWrapper, Stats } from 'ssh2'
import { DestinationError } from './destination_error.js'

/** SFTP status codes from the protocol draft (filexfer-02), as ssh2 reports them in `code`. */
export const SFTP_STATUS = { EOF: 1, NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4 } as const

/** Promise wrappers around ssh2's SFTP requests, each bounded by a timeout. */
export class SftpRequests {
  #closedReason: string | null = null

  constructor(
    readonly sftp: SFTPWrapper,
    private readonly timeoutMs: number,
    /** Called when a request times out, to drop the stalled connection. */
    private readonly onTimeout: () => void
  ) {}

  /** Makes every later request fail at once, because the connection or channel has closed. */
  markClosed(reason: string): void {
    this.#closedReason ??= reason
  }

  /** Whether the server renames over an existing file atomically (posix-rename@openssh.com). */
  get hasPosixRename(): boolean {
    const extensions = (this.sftp as unknown as { _extensions?: Record<string, string> })
      ._extensions
    return extensions?.['posix-rename@openssh.com'] === '1'
  }

  /** Largest data length of one WRITE request the server accepts. */
  get maxWriteLength(): number {
    const length = (this.sftp as unknown as { _maxWriteLen?: number })._maxWriteLen
    return typeof length === 'number' && length > 0 ? length : 32 * 1024
  }

  /** Max data length of one READ request that the server returns in full. */
  get maxReadLength(): number {
    const length = (this.sftp as unknown as { _maxReadLen?: number })._maxReadLen
    return typeof length === 'number' && length > 0 ? length : 32 * 1024
  }

  /** Reads up to `length` bytes at `position`; an empty buffer means end of file. */
  read(handle: Buffer, position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length)
    return this.request<number>('read', (done) =>
      this.sftp.read(handle, buffer, 0, length, position, (error, bytesRead) =>
        done(error, bytesRead)
      )
    ).then(
      (bytesRead) => buffer.subarray(0, bytesRead),
      (error) => {
        if (hasSftpStatus(error, SFTP_STATUS.EOF)) {
          return Buffer.alloc(0)
        }

        throw error
      }
    )
  }

  stat(path: string): Promise<Stats> {
    return this.request(`stat ${path}`, (done) => this.sftp.stat(path, done))
  }

  mkdir(path: string): Promise<void> {
    return this.request(`mkdir ${path}`, (done) => this.sftp.mkdir(path, done))
  }

  open(path: string, flags: OpenMode): Promise<Buffer> {
    return this.request(`open ${path}`, (done) =>
      this.sftp.open(path, flags, { mode: 0o600 }, done)
    )
  }

  close(handle: Buffer): Promise<void> {
    return this.request('close', (done) => this.sftp.close(handle, done))
  }

  write(handle: Buffer, data: Buffer, position: number): Promise<void> {
    return this.request('write', (done) =>
      this.sftp.write(handle, data, 0, data.length, position, done)
    )
  }

  rename(from: string, to: string): Promise<void> {
    if (this.hasPosixRename) {
      return this.request(`rename ${to}`, (done) => this.sftp.ext_openssh_rename(from, to, done))
    }

    return this.request(`rename ${to}`, (done) => this.sftp.rename(from, to, done))
  }

  unlink(path: string): Promise<void> {
    return this.request(`unlink ${path}`, (done) => this.sftp.unlink(path, done))
  }

  readdir(path: string): Promise<FileEntryWithStats[]> {
    return this.request(`readdir ${path}`, (done) => this.sftp.readdir(path, done))
  }

  private request<T>(
    what: string,
    start: (done: (error: unknown, value?: T) => void) => void
  ): Promise<T> {
    if (this.#closedReason !== null) {
      return Promise.reject(
        new DestinationError(
          'FAILED',
          `SFTP ${what} failed: ${this.#closedReason}; retry the operation`
        )
      )
    }

    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new DestinationError(
            'TIMEOUT',
            `SFTP ${what} got no reply within ${this.timeoutMs} ms: the connection was dropped`,
            {
              details: { path: what },
            }
          )
        )
        this.onTimeout()
      }, this.timeoutMs)

      start((error, value) => {
        clearTimeout(timer)
        if (error) {
          reject(error)
          return
        }

        resolve(value as T)
      })
    })
  }
}

/** Tells whether an SFTP error has the given status code. */
export function hasSftpStatus(error: unknown, status: number): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { code?: unknown }).code === status
  )
}
