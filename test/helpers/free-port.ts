/**
 * @module test/helpers/free-port: a loopback port for a child process (or a port that must refuse
 * connections) that cannot be told to take port 0, chosen where nothing else will take it first.
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/**
 * The kernel's ephemeral range (Linux): where listen(0) and every outgoing connection take their
 * local port. A port picked there and released can be taken by one of the suite's many other
 * connections before the child process binds it ("already in use" in CI); a port below it can be
 * taken only by a listener that asked for it by number.
 */
function ephemeralRange(): [number, number] | undefined {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number)
    return low !== undefined && high !== undefined && low > 0 && high >= low
      ? [low, high]
      : undefined
  } catch {
    return undefined
  }
}

/** Lowest port picked below the ephemeral range (clear of the well-known and common ones). */
const FLOOR = 10_000
const ATTEMPTS = 50

/** Binds `port` (0: any) on 127.0.0.1 and releases it; the port bound, or undefined if taken. */
const tryPort = (port: number): Promise<number | undefined> =>
  new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(undefined) : reject(err),
    )
    srv.listen(port, '127.0.0.1', () => {
      const bound = (srv.address() as { port: number }).port
      srv.close(() => resolve(bound))
    })
  })

/**
 * A port on 127.0.0.1 that is free now: a random one between {@link FLOOR} and the ephemeral
 * range's low end where the kernel reports that range, else one the OS hands out for port 0.
 */
export async function freePort(): Promise<number> {
  const range = ephemeralRange()
  if (range && range[0] > FLOOR + 1000) {
    for (let i = 0; i < ATTEMPTS; i++) {
      const candidate = FLOOR + Math.floor(Math.random() * (range[0] - FLOOR))
      const port = await tryPort(candidate)
      if (port !== undefined) return port
    }
  }
  const port = await tryPort(0)
  if (port === undefined) throw new Error('no free port on 127.0.0.1')
  return port
}
