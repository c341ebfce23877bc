/** @module test/helpers/free-port: a loopback port that was free a moment ago. */
import { createServer } from 'node:net'

/**
 * A port on 127.0.0.1 that the OS handed out for port 0 and that is free again, for a child
 * process (or a port that must refuse connections) that cannot be told to take port 0.
 */
export const freePort = (): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
