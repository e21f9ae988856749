import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { expect, test } from 'vitest'
import { ENCRYPTION_HEADER_SIZE } from '../src/crypto_frame.js'
import { sealedSize } from '../src/crypto_records.js'
import { createOpenStream, createSealStream } from '../src/crypto_stream.js'

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

async function seal(key: Buffer, plaintext: Buffer): Promise<Buffer> {
  return collect(Readable.from([plaintext]).pipe(createSealStream(key)))
}

async function open(key: Buffer, sealed: Buffer, chunkSize = 1000): Promise<Buffer> {
  const pieces: Buffer[] = []
  for (let offset = 0; offset < sealed.length; offset += chunkSize) {
    pieces.push(sealed.subarray(offset, offset + chunkSize))
  }
  const stream = createOpenStream(key)
  const result = collect(stream)
  Readable.from(pieces).pipe(stream)
  return result
}

const key = randomBytes(32)
const plaintext = randomBytes(2 * 1024 * 1024 + 12345)

test('seal and open round trip', async () => {
  const sealed = await seal(key, plaintext)
  expect(sealed.length).toBe(
    ENCRYPTION_HEADER_SIZE + sealedSize(1024 * 1024) * 2 + sealedSize(12345)
  )
  expect((await open(key, sealed)).equals(plaintext)).toBe(true)
})

test('empty plaintext round trip', async () => {
  const sealed = await seal(key, Buffer.alloc(0))
  expect((await open(key, sealed)).length).toBe(0)
})

test('truncation is CORRUPT', async () => {
  const sealed = await seal(key, plaintext)
  const cuts = [
    sealed.length - 1,
    sealed.length - sealedSize(0),
    ENCRYPTION_HEADER_SIZE + sealedSize(1024 * 1024),
    200,
    50,
  ]
  for (const cut of cuts) {
    await expect(open(key, sealed.subarray(0, cut)), `cut at ${cut}`).rejects.toMatchObject({
      code: 'CORRUPT',
    })
  }
})

test('flipped bit is CORRUPT', async () => {
  const sealed = await seal(key, plaintext)
  const positions = [
    0,
    8,
    12,
    20,
    90,
    ENCRYPTION_HEADER_SIZE,
    ENCRYPTION_HEADER_SIZE + 5,
    500_000,
    sealed.length - 1,
  ]
  for (const position of positions) {
    const altered = Buffer.from(sealed)
    altered[position] ^= 0x04
    await expect(open(key, altered), `bit at byte ${position}`).rejects.toMatchObject({
      code: 'CORRUPT',
    })
  }
})

test('flipped key id bit is CORRUPT', async () => {
  const sealed = await seal(key, plaintext)
  for (const position of [48, 64, 79]) {
    const altered = Buffer.from(sealed)
    altered[position] ^= 0x01
    await expect(open(key, altered), `bit at byte ${position}`).rejects.toMatchObject({
      code: 'CORRUPT',
    })
  }
})

test('wrong key is WRONG_KEY', async () => {
  const sealed = await seal(key, plaintext)
  await expect(open(randomBytes(32), sealed)).rejects.toMatchObject({ code: 'WRONG_KEY' })
})

test('swapped records are CORRUPT', async () => {
  const sealed = await seal(key, plaintext)
  const record = sealedSize(1024 * 1024)
  const first = sealed.subarray(ENCRYPTION_HEADER_SIZE, ENCRYPTION_HEADER_SIZE + record)
  const second = sealed.subarray(
    ENCRYPTION_HEADER_SIZE + record,
    ENCRYPTION_HEADER_SIZE + 2 * record
  )
  const swapped = Buffer.concat([
    sealed.subarray(0, ENCRYPTION_HEADER_SIZE),
    second,
    first,
    sealed.subarray(ENCRYPTION_HEADER_SIZE + 2 * record),
  ])
  await expect(open(key, swapped)).rejects.toMatchObject({ code: 'CORRUPT' })
})

test('appended data is CORRUPT', async () => {
  const sealed = await seal(key, plaintext)
  const extended = Buffer.concat([
    sealed,
    sealed.subarray(ENCRYPTION_HEADER_SIZE, ENCRYPTION_HEADER_SIZE + 100),
  ])
  await expect(open(key, extended)).rejects.toMatchObject({ code: 'CORRUPT' })
})
