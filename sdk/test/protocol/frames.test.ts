import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { isCofferError } from '../../src/errors.js'
import { encodeDataHeader, encodeMessageFrame, FrameDecoder } from '../../src/protocol/frames.js'
import { parseMessage, serializeMessage } from '../../src/protocol/messages.js'

describe('FrameDecoder', () => {
  const chunk = randomBytes(3000)
  const wire = Buffer.concat([
    encodeMessageFrame('{"type":"cancel","call":7}'),
    encodeDataHeader(5, chunk.length),
    chunk,
    encodeMessageFrame('{"type":"stream-end","stream":5}'),
  ])

  it('decodes frames split at every byte', () => {
    for (let split = 1; split < wire.length; split += 7) {
      const decoder = new FrameDecoder()
      const frames = [
        ...decoder.push(wire.subarray(0, split)),
        ...decoder.push(wire.subarray(split)),
      ]

      expect(frames.map((frame) => frame.kind)).toEqual(['message', 'data', 'message'])
      const data = frames[1] as { streamId: number; chunk: Buffer }
      expect(data.streamId).toBe(5)
      expect(data.chunk.equals(chunk)).toBe(true)
      expect(decoder.bufferedBytes).toBe(0)
    }
  })

  it('rejects an unknown frame kind', () => {
    const frame = Buffer.from([0, 0, 0, 2, 9, 0])
    let raised: unknown
    try {
      new FrameDecoder().push(frame)
    } catch (error) {
      raised = error
    }

    expect(isCofferError(raised, 'PROTOCOL')).toBe(true)
  })
})

describe('protocol messages', () => {
  it('keep Date values', () => {
    const time = new Date('2024-02-29T12:34:56.789Z')
    const copy = parseMessage(
      serializeMessage({ type: 'result', call: 1, value: [{ time, name: 'x' }] })
    )
    const value = (copy as { value: Array<{ time: Date }> }).value
    expect(value[0].time).toBeInstanceOf(Date)
    expect(value[0].time.getTime()).toBe(time.getTime())
  })
})
