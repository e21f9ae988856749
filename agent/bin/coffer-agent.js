#!/usr/bin/env node
// The `coffer-agent` command. This file is in git so that npm links the command at install
// time, before the first build has written dist/.
import '../dist/cli.js'
