/** @module http/server: run a Hono app on @hono/node-server and stop it gracefully. */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'

export interface HttpServerOptions {
  fetch: (request: Request, env: unknown) => Response | Promise<Response>
  host: string
  /** 0 picks a free port. */
  port: number
}

export interface HttpServer {
  /** `http://host:port` with the port actually bound. */
  url: string
  port: number
  /**
   * Stops accepting connections, lets in-flight requests finish for up to `timeoutMs`, then
   * cuts whatever is left. Resolves `true` when everything finished in time.
   */
  close(timeoutMs: number): Promise<boolean>
}

/**
 * Starts listening and resolves once the port is bound.
 * @throws the listen error (EADDRINUSE, EACCES) as Node reports it.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: options.fetch, port: options.port, hostname: options.host }, () =>
      resolve(s as Server),
    ) as Server
    s.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  let closing: Promise<boolean> | undefined
  return {
    url: `http://${host}:${port}`,
    port,
    close(timeoutMs) {
      closing ??= new Promise<boolean>((resolve) => {
        let done = false
        // Keep-alive sockets that finish their request become idle; drop them as they do, so
        // that close() is not held open by clients that keep connections around.
        const sweep = setInterval(() => server.closeIdleConnections(), 50)
        const timer = setTimeout(() => {
          if (done) return
          server.closeAllConnections()
          finish(false)
        }, timeoutMs)
        const finish = (inTime: boolean) => {
          done = true
          clearInterval(sweep)
          clearTimeout(timer)
          resolve(inTime)
        }
        server.close(() => {
          if (!done) finish(true)
        })
        server.closeIdleConnections()
      })
      return closing
    },
  }
}
