import { PassThrough, Readable, Transform } from 'node:stream'
import { expect, test } from 'vitest'
import { chainStreams } from '../src/stream_util.js'

function failingStage(message: string) {
  return new Transform({
    transform(_chunk, _encoding, callback) {
      callback(new Error(message))
    },
  })
}

test('later stage error closes source', async () => {
  // A source that never ends on its own, like a file handle that was not read to the end.
  const source = new Readable({ read() {} })
  source.push(Buffer.from('one'))
  const chained = chainStreams(source, [new PassThrough(), failingStage('bad frame')])

  const read: Buffer[] = []
  await expect(async () => {
    for await (const chunk of chained) {
      read.push(chunk as Buffer)
    }
  }).rejects.toThrow('bad frame')
  expect(read).toEqual([])
  expect(source.destroyed).toBe(true)
})

test('early stop closes every stream', async () => {
  const source = new Readable({ read() {} })
  source.push(Buffer.from('first'))
  const middle = new PassThrough()
  const chained = chainStreams(source, [middle])

  for await (const chunk of chained) {
    expect((chunk as Buffer).toString()).toBe('first')
    break
  }

  await new Promise((resolve) => setImmediate(resolve))
  expect(source.destroyed).toBe(true)
  expect(middle.destroyed).toBe(true)
})
