/**
 * @module test/helpers/chromium: Debian's Chromium (the `chromium` package, installed in CI by
 * scripts/ci/install-chromium.sh), headless, driven by playwright-core; and where browser tests
 * put what a person should look at (screenshots): `test-results/<suite>/`.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Whether the browser suites run: Chromium is installed, or this is CI (where a missing binary
 * must fail the suite instead of hiding it).
 */
export const chromiumSuitesRun = existsSync(CHROMIUM_PATH) || Boolean(process.env.CI)

/** One headless Chromium for a test file. `--no-sandbox`: CI runs as root. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  })

/** `test-results/<suite>/` under the repository, created if missing. */
export function testOutputDir(suite: string): string {
  const dir = join(import.meta.dirname, '..', '..', 'test-results', suite)
  mkdirSync(dir, { recursive: true })
  return dir
}
