// The program the host starts for each engine: `node engine_runner.js <bundle dir>`. Protocol
// frames use stdin and stdout, so anything the engine writes to process.stdout goes to stderr
// instead, where the host captures it as log lines.
import { serveEngine } from './protocol/engine_side.js'

const bundleDir = process.argv[2]
if (!bundleDir) {
  process.stderr.write('usage: node engine_runner.js <bundle dir>\n')
  process.exit(64)
}

const stdout = process.stdout
const writeFrame = stdout.write.bind(stdout)
stdout.write = process.stderr.write.bind(process.stderr) as typeof stdout.write

let exiting = false

serveEngine({
  bundleDir,
  input: process.stdin,
  output: {
    write: (chunk) => writeFrame(chunk),
    on: (event: 'drain' | 'error', listener: (...args: any[]) => void) =>
      stdout.on(event, listener),
  },
  onExit: (code) => {
    if (exiting) {
      return
    }

    // Let queued frames reach the host, then stop even if the engine left timers or sockets open.
    exiting = true
    stdout.end(() => process.exit(code))
  },
})
