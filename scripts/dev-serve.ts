/**
 * @module scripts/dev-serve: `serve` for development, against a dev vault you started yourself
 * (`npx dev-vault`), with the repository's demo credentials, which `serve` refuses. Only
 * `scripts/run_dev.sh` runs it, and only after checking that VAULT_ADDR is a dev vault on loopback
 * (`refuse_demo_credentials` in scripts/lib/common.sh); it is not part of the product.
 */
import { isEntryPoint, runAsProcess } from '../src/cli/exit.js'
import { processIo } from '../src/cli/io.js'
import { runServeCommand } from '../src/cli/serve.js'
import { untilSignal } from '../src/cli/signals.js'

if (isEntryPoint(import.meta.url)) {
  runAsProcess(
    () =>
      runServeCommand(process.argv.slice(2), process.env, processIo, untilSignal, {
        allowPublishedCredentials: true,
      }),
    processIo,
    'dev-serve',
  )
}
