import { pathKey } from './path_bytes.js'
import { runCommand } from './run_command.js'

/**
 * Reads the extended attributes of every entry under `root`, without following links, with one
 * `getfattr -R` run (Debian package attr). Returns a map from `pathKey(absolute path)` to the
 * attributes (name to hex value) of entries that have any.
 */
export async function readXattrs(root: string): Promise<Map<string, Record<string, string>>> {
  const args = ['--recursive', '--physical', '--no-dereference', '--absolute-names']
  const { stdout } = await runCommand(
    'getfattr',
    [...args, '--dump', '--match=-', '--encoding=hex', root],
    {
      debianPackage: 'attr',
    }
  )

  const result = new Map<string, Record<string, string>>()
  let current: Record<string, string> | undefined
  for (const line of stdout.toString('latin1').split('\n')) {
    if (line.startsWith('# file: ')) {
      current = {}
      result.set(pathKey(unescapeOctal(line.slice('# file: '.length))), current)
      continue
    }

    const separator = line.indexOf('=')
    if (current === undefined || line === '' || separator < 0) {
      continue
    }

    const name = unescapeOctal(line.slice(0, separator)).toString('latin1')
    const value = line.slice(separator + 1)
    current[name] = value.startsWith('0x')
      ? value.slice(2)
      : Buffer.from(value, 'latin1').toString('hex')
  }

  return result
}

/** Decodes getfattr's quoting: every byte that is not printable ASCII, and `\`, is `\ooo`. */
function unescapeOctal(text: string): Buffer {
  const bytes: number[] = []
  for (let index = 0; index < text.length; index++) {
    const match = /^\\([0-7]{3})/.exec(text.slice(index, index + 4))
    if (match) {
      bytes.push(Number.parseInt(match[1], 8))
      index += 3
      continue
    }

    bytes.push(text.charCodeAt(index))
  }

  return Buffer.from(bytes)
}
