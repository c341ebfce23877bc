/**
 * @module test/helpers/rate-limit-probe: a process of its own (`node --import tsx`), so that
 * NODE_EXTRA_CA_CERTS applies as it does to the bridge: builds the rate limits for REDIS_URL, waits
 * for the Redis connection to succeed or fail, takes COUNT requests from AGENT's budget of LIMIT,
 * and prints `{"event", "allowed": [...]}` on stdout. Its log lines go to stderr.
 */
import { createRateLimits } from '../../src/limits/rate-limits.js'
import { createLogger } from '../../src/observability/logger.js'

let seen: (event: string) => void = () => undefined
const event = new Promise<string>((resolve) => (seen = resolve))
const logger = createLogger({
  level: 'info',
  destination: {
    write(line: string) {
      process.stderr.write(line)
      const name = (JSON.parse(line) as { event?: string }).event
      if (name === 'redis_connected' || name === 'redis_unreachable') seen(name)
    },
  },
})
const limits = createRateLimits(
  {
    enabled: true,
    requests: Number(process.env.LIMIT),
    windowSeconds: 600,
    overrides: {},
    redisUrl: process.env.REDIS_URL,
    authFailures: { requests: 20, windowSeconds: 600 },
  },
  logger,
)
const timeout = setTimeout(() => seen('timeout'), 10_000)
const outcome = await event
clearTimeout(timeout)
const allowed: boolean[] = []
for (let i = 0; i < Number(process.env.COUNT); i++) {
  allowed.push((await limits.consumeAgent(process.env.AGENT!)).allowed)
}
process.stdout.write(`${JSON.stringify({ event: outcome, allowed })}\n`)
await limits.close()
