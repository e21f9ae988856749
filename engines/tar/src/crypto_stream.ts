import { Transform, type TransformCallback } from 'node:stream'
import { createArtifactCipher, ENCRYPTION_HEADER_SIZE, openArtifactCipher } from './crypto_frame.js'
import { RecordOpener, RecordSealer } from './crypto_records.js'

/** Creates a transform that writes the encryption header, then seals its input into records. */
export function createSealStream(key: Buffer): Transform {
  const sealer = new RecordSealer(createArtifactCipher(key))
  let headerWritten = false

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (!headerWritten) {
        this.push(sealer.cipher.header)
        headerWritten = true
      }

      for (const record of sealer.push(chunk)) {
        this.push(record)
      }
      callback()
    },
    flush(callback: TransformCallback) {
      if (!headerWritten) {
        this.push(sealer.cipher.header)
      }

      this.push(sealer.finish())
      callback()
    },
  })
}

/**
 * Creates a transform that checks the encryption header against `key` and opens every record.
 * Errors carry code `WRONG_KEY` or `CORRUPT`; a stream without its final record fails at the end.
 */
export function createOpenStream(key: Buffer): Transform {
  let header: Buffer = Buffer.alloc(0)
  let opener: RecordOpener | undefined

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        let data = chunk
        if (!opener) {
          header = Buffer.concat([header, data])
          if (header.length < ENCRYPTION_HEADER_SIZE) {
            callback()
            return
          }

          opener = new RecordOpener(openArtifactCipher(header, key))
          data = header.subarray(ENCRYPTION_HEADER_SIZE)
        }

        for (const plaintext of opener.push(data)) {
          this.push(plaintext)
        }
        callback()
      } catch (error) {
        callback(error as Error)
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (!opener) {
          opener = new RecordOpener(openArtifactCipher(header, key))
        }

        opener.finish()
        callback()
      } catch (error) {
        callback(error as Error)
      }
    },
  })
}
