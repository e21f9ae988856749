import { mkdtemp, rm } from 'node:fs/promises'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// @ts-expect-error s3rver ships no type declarations.
import S3rver from 's3rver'

/** Bucket of the private s3rver instance. */
export const PRIVATE_BUCKET = 'coffer-drop-test'

/**
 * Starts a private s3rver on 127.0.0.1 (plain HTTP) that a test may stop and start again without
 * disturbing the shared s3 service. Its data folder survives restarts.
 */
export async function startPrivateS3() {
  const directory = await mkdtemp(join(tmpdir(), 'coffer-s3rver-'))
  let port = 0
  let server: { httpServer: Server; close(): Promise<void> } | null = null

  const start = async () => {
    if (server) {
      return
    }

    const instance = new S3rver({
      address: '127.0.0.1',
      port,
      silent: true,
      directory,
      configureBuckets: [{ name: PRIVATE_BUCKET }],
    })
    const address = (await instance.run()) as { port: number }
    port = address.port
    server = instance
  }

  /** Stops the server and drops every open connection, as a crash would. */
  const stop = async () => {
    const running = server
    server = null
    if (running) {
      running.httpServer.closeAllConnections()
      await running.close()
    }
  }

  await start()
  return {
    endpoint: `http://127.0.0.1:${port}`,
    start,
    stop,
    async dispose() {
      await stop()
      await rm(directory, { recursive: true, force: true })
    },
  }
}
