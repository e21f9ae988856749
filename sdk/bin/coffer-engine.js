#!/usr/bin/env node
// The `coffer-engine` command. This file is in git so that npm links the command at install
// time, before the first build has written dist/.
import { main } from '../dist/cli.js'

process.exitCode = await main(process.argv.slice(2))
