/** One shell command of a fenced `sh` block, with the `##` section it appears in. */
export interface ReadmeCommand {
  section: string
  command: string
}

/**
 * Extracts the commands of every fenced `sh` block of a Markdown file, in order. Blocks may be
 * indented (inside a list item). A `#` after whitespace starts a comment, blank lines are
 * dropped and a line ending in a backslash continues on the next one.
 */
export function readmeShellCommands(markdown: string): ReadmeCommand[] {
  const commands: ReadmeCommand[] = []
  let section = ''
  let inBlock = false
  let pending = ''

  for (const line of markdown.split('\n')) {
    const trimmed = line.trim()
    if (!inBlock) {
      if (line.startsWith('## ')) {
        section = line.slice(3).trim()
      } else if (/^```(sh|shell|bash)\s*$/.test(trimmed)) {
        inBlock = true
      }
      continue
    }

    if (trimmed === '```') {
      inBlock = false
      continue
    }

    const code = trimmed.replace(/(^|\s)#.*$/, '').trim()
    if (code.endsWith('\\')) {
      pending += `${code.slice(0, -1).trim()} `
      continue
    }

    const command = `${pending}${code}`.trim()
    pending = ''
    if (command !== '') {
      commands.push({ section, command })
    }
  }

  return commands
}
