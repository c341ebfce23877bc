#!/usr/bin/env node
// The `dev-vault` command. The package ships TypeScript sources, so tsx compiles them on load.
import { register } from 'tsx/esm/api'

register()
const { runDevVaultCli } = await import('../src/cli.ts')
process.exitCode = await runDevVaultCli(process.argv.slice(2))
