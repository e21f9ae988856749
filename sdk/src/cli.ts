#!/usr/bin/env node
// `coffer-engine`: build, sign, verify and test Coffer engine bundles.
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { buildCommand, keygenCommand, signCommand, verifyCommand } from './cli/commands.js'
import { testCommand } from './cli/test_command.js'
import { hideKeyMaterial } from './bundle/key_material.js'
import { CofferError, isCofferError } from './errors.js'
import { SDK_VERSION } from './version.js'

const USAGE = `usage: coffer-engine <command> [options]

commands:
  build [<dir>] [--package <dir>] [--out <dir>]
      bundle the engine package in <dir> (default: the current folder) into
      <out>/<id>-<version>.bundle; --out is relative to the current folder (default:
      <dir>/dist). The build imports the bundle once to check that an agent can load it,
      and removes a <bundle>.sig that does not sign the new bundle
  keygen --out <file>
      write a new Ed25519 private key (PKCS#8 PEM, mode 0600) to <file>, creating missing
      folders (mode 0700), and print the public key and its key id
  sign <bundle> [--key <file>] [--signature <file>]
      sign <bundle> with the private key in <file> (default: $COFFER_SIGNING_KEY_FILE)
      and write the signature to <bundle>.sig or <file>
  verify <bundle> [--signature <file>] (--trust ed25519:<base64> | --trusted-keys <file>)...
      check the bundle's digest, signature and manifest against the trusted keys
  test <bundle> [--options <file>] [--timeout <seconds>] [--hostile <module>]
       [--volumes <names>]
      run the conformance kit on a built bundle, as root, with the per-destination options
      in <file> (JSON; host secrets it lacks are generated) and a time limit per engine call.
      --hostile names a JavaScript module whose default export is a HostileArtifactsHook;
      without it the restore-safety checks on hostile archives are skipped. --volumes runs
      only the listed corpus volumes (comma-separated, such as empty,metadata)

options:
  --version   print the version of coffer-engine (@coffer/sdk)
  -h, --help  print this help

The private key never goes on the command line: pass the path of its file.`

const OPTIONS = {
  'package': { type: 'string' },
  'out': { type: 'string' },
  'key': { type: 'string' },
  'signature': { type: 'string' },
  'trust': { type: 'string', multiple: true },
  'trusted-keys': { type: 'string', multiple: true },
  'options': { type: 'string' },
  'timeout': { type: 'string' },
  'hostile': { type: 'string' },
  'volumes': { type: 'string' },
  'help': { type: 'boolean', short: 'h' },
  'version': { type: 'boolean' },
} as const

/** Runs the command line `args` and returns the process exit code. */
export async function main(
  args: string[],
  print = (line: string) => console.log(line)
): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true })
  } catch (error) {
    printError(`coffer-engine: ${(error as Error).message}\n\n${USAGE}`)
    return 64
  }

  const { values, positionals } = parsed
  const [command, target] = positionals
  if (values.version) {
    print(`coffer-engine ${SDK_VERSION}`)
    return 0
  }

  if (values.help || !command) {
    print(USAGE)
    return values.help ? 0 : 64
  }

  const trust = {
    signaturePath: values.signature,
    trust: values.trust ?? [],
    trustedKeyFiles: values['trusted-keys'] ?? [],
  }

  try {
    switch (command) {
      case 'build':
        await buildCommand(values.package ?? target ?? process.cwd(), values.out, print)
        return 0
      case 'keygen':
        if (!values.out) {
          return usageError('keygen needs --out <file> for the private key')
        }

        await keygenCommand(values.out, print)
        return 0
      case 'sign':
        if (!target) {
          return usageError('sign needs the bundle path')
        }

        await signCommand(target, values.key, values.signature, print)
        return 0
      case 'verify':
        if (!target) {
          return usageError('verify needs the bundle path')
        }

        await verifyCommand(target, trust, print)
        return 0
      case 'test':
        if (!target) {
          return usageError('test needs the bundle path')
        }

        await testCommand(
          target,
          {
            optionsPath: values.options,
            timeoutMs: timeoutOf(values.timeout),
            hostilePath: values.hostile,
            volumes: values.volumes?.split(','),
          },
          print
        )
        return 0
      default:
        return usageError(`unknown command "${command}"`)
    }
  } catch (error) {
    const label = isCofferError(error) ? `error ${error.code}` : 'error'
    printError(`coffer-engine ${command}: ${label}: ${(error as Error).message}`)
    return 1
  }
}

// Every error line goes through here, so key text that reached a message (for example a PEM
// passed as a positional argument, which parseArgs quotes) never reaches the terminal.
function printError(text: string): void {
  console.error(hideKeyMaterial(text))
}

function timeoutOf(seconds: string | undefined): number | undefined {
  if (seconds === undefined) {
    return undefined
  }

  const value = Number(seconds)
  if (!Number.isFinite(value) || value <= 0) {
    throw new CofferError(
      'INVALID_ARGUMENT',
      `invalid --timeout "${seconds}": expected a number of seconds above 0`
    )
  }

  return value * 1000
}

function usageError(message: string): number {
  printError(`coffer-engine: ${message}\n\n${USAGE}`)
  return 64
}

// Runs only as a program (also through the npm bin symlink), not when a test imports `main`.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2))
}
