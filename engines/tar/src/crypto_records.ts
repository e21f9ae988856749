import { createCipheriv, createDecipheriv } from 'node:crypto'
import { CofferError } from '@coffer/sdk'
import { type ArtifactCipher, ENCRYPTION_HEADER_SIZE } from './crypto_frame.js'

// Record layout: u32 BE plaintext length (top bit set on the final record), the ciphertext, the
// 16-byte GCM tag. The nonce is the record number; the length field is the associated data.
const TAG_SIZE = 16
const FINAL_FLAG = 0x80000000

/** Encrypts one record. `index` is the record number within the artifact, from 0. */
export function sealRecord(
  fileKey: Buffer,
  index: number,
  plaintext: Buffer,
  final: boolean
): Buffer {
  const lengthField = Buffer.alloc(4)
  lengthField.writeUInt32BE((plaintext.length | (final ? FINAL_FLAG : 0)) >>> 0)
  const cipher = createCipheriv('aes-256-gcm', fileKey, nonceOf(index))
  cipher.setAAD(lengthField)
  const ciphertext = cipher.update(plaintext)
  cipher.final()

  return Buffer.concat([lengthField, ciphertext, cipher.getAuthTag()])
}

/** Stored size of a record that carries `plaintextSize` bytes. */
export function sealedSize(plaintextSize: number): number {
  return 4 + plaintextSize + TAG_SIZE
}

/**
 * Seals a byte stream into records of `recordSize` bytes. `flush` closes the current record early
 * (so a compression block starts a new record); `finish` writes the final record.
 */
export class RecordSealer {
  /** Number of records written so far, which is the number of the next record. */
  records = 0
  #pending: Buffer[] = []
  #pendingSize = 0

  constructor(readonly cipher: ArtifactCipher) {}

  /** Adds plaintext; returns the records completed by it. */
  push(data: Buffer): Buffer[] {
    const out: Buffer[] = []
    let offset = 0
    const size = this.cipher.recordSize

    while (offset < data.length) {
      const take = Math.min(size - this.#pendingSize, data.length - offset)
      this.#pending.push(data.subarray(offset, offset + take))
      this.#pendingSize += take
      offset += take
      if (this.#pendingSize === size) {
        out.push(this.#seal(false))
      }
    }

    return out
  }

  /** Closes the current record when it contains any bytes. */
  flush(): Buffer[] {
    return this.#pendingSize > 0 ? [this.#seal(false)] : []
  }

  /** Closes the stream with the final record, which may be empty. */
  finish(): Buffer {
    return this.#seal(true)
  }

  #seal(final: boolean): Buffer {
    const record = sealRecord(
      this.cipher.fileKey,
      this.records,
      Buffer.concat(this.#pending),
      final
    )
    this.records++
    this.#pending = []
    this.#pendingSize = 0
    return record
  }
}

/**
 * Opens records from a byte stream that starts at a record boundary. Raises `CORRUPT` on any
 * authentication failure, and from `finish` when the final record is missing.
 */
export class RecordOpener {
  #buffer: Buffer = Buffer.alloc(0)
  #finalSeen = false

  constructor(
    private cipher: ArtifactCipher,
    /** Number of the first record in the stream. */
    private index = 0,
    /** Stored offset of the first record, for error messages. */
    private offset = ENCRYPTION_HEADER_SIZE
  ) {}

  /** Adds stored bytes; returns the plaintext of every record completed by them. */
  push(data: Buffer): Buffer[] {
    this.#buffer = this.#buffer.length === 0 ? data : Buffer.concat([this.#buffer, data])
    const out: Buffer[] = []

    while (this.#buffer.length >= 4) {
      if (this.#finalSeen) {
        throw this.#corrupt('data follows the final record')
      }

      const field = this.#buffer.readUInt32BE(0)
      const length = field & 0x7fffffff
      if (length > this.cipher.recordSize) {
        throw this.#corrupt(
          `record length ${length} exceeds the record size ${this.cipher.recordSize}`
        )
      }

      const total = sealedSize(length)
      if (this.#buffer.length < total) {
        break
      }

      out.push(this.#open(this.#buffer.subarray(0, total), length, field >= FINAL_FLAG))
      this.#buffer = this.#buffer.subarray(total)
      this.offset += total
    }

    return out
  }

  /** Checks that the stream ended right after the final record. */
  finish(): void {
    if (this.#buffer.length > 0) {
      throw this.#corrupt('the artifact ends inside a record')
    }

    if (!this.#finalSeen) {
      throw this.#corrupt('the artifact ends before its final record')
    }
  }

  /** Checks that every record read so far opened, without requiring the final record. */
  finishPartial(): void {
    if (this.#buffer.length > 0) {
      throw this.#corrupt('the range ends inside a record')
    }
  }

  #open(record: Buffer, length: number, final: boolean): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.cipher.fileKey, nonceOf(this.index))
    decipher.setAAD(record.subarray(0, 4))
    decipher.setAuthTag(record.subarray(4 + length))
    const plaintext = decipher.update(record.subarray(4, 4 + length))

    try {
      decipher.final()
    } catch (error) {
      throw this.#corrupt('record fails authentication', error)
    }

    this.index++
    this.#finalSeen = final
    return plaintext
  }

  #corrupt(reason: string, cause?: unknown): CofferError {
    return new CofferError(
      'CORRUPT',
      `encrypted artifact is damaged at byte ${this.offset} (record ${this.index}): ${reason}`,
      { cause }
    )
  }
}

function nonceOf(index: number): Buffer {
  const nonce = Buffer.alloc(12)
  nonce.writeUIntBE(index, 6, 6)
  return nonce
}
