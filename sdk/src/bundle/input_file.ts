import { readFile } from 'node:fs/promises'
import { CofferError } from '../errors.js'

/** The role of a file and the next step when it is missing, as `readInputFile` reports them. */
export interface InputFileRole {
  /** The file's role, such as "signature file". */
  description: string
  /** The next step when the file does not exist, such as "sign the bundle first". */
  whenMissing: string
}

/**
 * Reads a file the user named. Raises `NOT_FOUND` ("<description> not found: <path>; <next step>") when
 * it does not exist and `INVALID_ARGUMENT` when it is a folder or cannot be read. Messages name
 * the path and the error code, never the file's content.
 */
export async function readInputFile(path: string, role: InputFileRole): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (error) {
    throw inputFileError(error, path, role)
  }
}

/** Converts a file system error on `path` to the error `readInputFile` raises. */
export function inputFileError(error: unknown, path: string, role: InputFileRole): CofferError {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new CofferError(
      'NOT_FOUND',
      `${role.description} not found: ${path}; ${role.whenMissing}`,
      {
        details: { path },
      }
    )
  }

  if (code === 'EISDIR') {
    return new CofferError(
      'INVALID_ARGUMENT',
      `${role.description} ${path} is a folder; pass the path of the file itself`,
      { details: { path } }
    )
  }

  const reason = code === 'EACCES' ? 'permission denied' : (code ?? (error as Error).message)
  return new CofferError(
    'INVALID_ARGUMENT',
    `cannot read ${role.description} ${path}: ${reason}; check the path and its permissions`,
    { details: { path, code } }
  )
}
