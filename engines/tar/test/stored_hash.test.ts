import { createHash, randomBytes } from 'node:crypto'
import { expect, test } from 'vitest'
import { StoredHash } from '../src/stored_hash.js'

test('hash keeps order and bytes', async () => {
  const hash = new StoredHash()
  const expected = createHash('sha256')
  const small = Buffer.from('a pooled buffer, which cannot be transferred')
  const large = randomBytes(3 * 1024 * 1024)
  const shared = Buffer.allocUnsafeSlow(64 * 1024).fill(7)
  const batches = [[small], [large], [shared.subarray(0, 1000), shared.subarray(1000)]]

  const copies = batches.map((batch) => batch.map((piece) => Buffer.from(piece)))
  const returned = await Promise.all(batches.map((batch) => hash.update(batch)))
  for (const batch of copies) {
    for (const piece of batch) {
      expected.update(piece)
    }
  }

  expect(await hash.digest()).toBe(expected.digest('hex'))
  expect(returned.map((batch) => batch.map((piece) => piece.toString('hex')))).toEqual(
    copies.map((batch) => batch.map((piece) => piece.toString('hex')))
  )
})

test('empty artifact digest', async () => {
  const hash = new StoredHash()
  expect(await hash.digest()).toBe(createHash('sha256').digest('hex'))
})

test('update after close rejects', async () => {
  const hash = new StoredHash()
  await hash.close()
  await expect(hash.update([Buffer.from('late')])).rejects.toMatchObject({
    code: 'INTERNAL',
    message: expect.stringContaining('hashing the stored bytes failed'),
  })
})
