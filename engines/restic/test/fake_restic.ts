// A stand-in for the restic command that serves a snapshot listing given in a scenario file, so
// the restore guard can be run on listings that restic's own archiver never writes. Run it as
// `node fake_restic.ts <scenario.json> <restic arguments>`. hostile_restore.test.ts writes a
// wrapper script that does so.
import fs from 'node:fs'
import path from 'node:path'

/** What the fake restic prints and does. */
export interface FakeResticScenario {
  /** The one snapshot, as `restic snapshots --json` prints it. */
  snapshot: { id: string; time: string; paths: string[]; tags: string[] }
  /** The lines `restic ls --json` prints after the snapshot line. */
  lsLines: string[]
  /** Files that `restore` writes below `<target>/<rootName>`, by relative path. */
  restoredFiles: Record<string, string>
  restoreStderr: string
  restoreExitCode: number
  /** File that receives one JSON line with the arguments of each `restore` call. */
  argsLog: string
}

function main(): void {
  const [scenarioPath, command, ...args] = process.argv.slice(2)
  const scenario = JSON.parse(fs.readFileSync(scenarioPath!, 'utf8')) as FakeResticScenario

  switch (command) {
    case 'version':
      process.stdout.write('restic 0.14.0 compiled with go1.19.8 on linux/amd64\n')
      return
    case 'unlock':
      return
    case 'snapshots':
      process.stdout.write(`${JSON.stringify([scenario.snapshot])}\n`)
      return
    case 'ls':
      process.stdout.write(`${JSON.stringify({ ...scenario.snapshot, struct_type: 'snapshot' })}\n`)
      process.stdout.write(scenario.lsLines.map((line) => `${line}\n`).join(''))
      return
    case 'restore':
      restore(scenario, args)
      return
    default:
      process.stderr.write(`fake restic has no command "${command}"\n`)
      process.exitCode = 1
  }
}

function restore(scenario: FakeResticScenario, args: string[]): void {
  fs.appendFileSync(scenario.argsLog, `${JSON.stringify(args)}\n`)
  const target = args[args.indexOf('--target') + 1]!
  const rootName = path.posix.basename(scenario.snapshot.paths[0]!)
  fs.mkdirSync(path.join(target, rootName))
  for (const [relative, content] of Object.entries(scenario.restoredFiles)) {
    fs.writeFileSync(path.join(target, rootName, relative), content)
  }

  process.stderr.write(scenario.restoreStderr)
  process.exitCode = scenario.restoreExitCode
}

if (process.argv[1] === import.meta.filename) {
  main()
}
