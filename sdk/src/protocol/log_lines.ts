import type { Readable } from 'node:stream'

// Maximum length of a stderr line; longer lines are cut so a runaway engine cannot fill memory.
const MAX_LINE_LENGTH = 8 * 1024

/** Calls `onLine` for each line of `stream`, decoded as UTF-8, without the line break. */
export function forEachLine(stream: Readable, onLine: (line: string) => void): void {
  let partial = ''
  stream.setEncoding('utf8')
  stream.on('data', (text: string) => {
    const lines = (partial + text).split('\n')
    partial = lines.pop() ?? ''
    if (partial.length > MAX_LINE_LENGTH) {
      onLine(partial.slice(0, MAX_LINE_LENGTH) + ' [line cut]')
      partial = ''
    }

    for (const line of lines) {
      onLine(line.length > MAX_LINE_LENGTH ? line.slice(0, MAX_LINE_LENGTH) + ' [line cut]' : line)
    }
  })
  stream.on('end', () => {
    if (partial !== '') {
      onLine(partial)
    }
  })
}
