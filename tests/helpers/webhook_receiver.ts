import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A request the receiver got. */
export interface ReceivedWebhook {
  headers: Record<string, string | string[] | undefined>
  body: any
}

/**
 * A webhook receiver on 127.0.0.1. `responses` lists the statuses of the first requests (then
 * 204); `hang` keeps requests open without a response, to exercise timeouts.
 */
export async function startWebhookReceiver(options: { responses?: number[]; hang?: boolean } = {}) {
  const received: ReceivedWebhook[] = []
  const responses = [...(options.responses ?? [])]

  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      received.push({ headers: request.headers, body: text ? JSON.parse(text) : null })
      if (options.hang) {
        return
      }

      const status = responses.shift() ?? 204
      const headers: Record<string, string> =
        status >= 300 && status < 400 ? { location: 'http://127.0.0.1:9/elsewhere' } : {}
      response.writeHead(status, headers)
      response.end()
    })
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/hooks/coffer-test`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
