/** @module http/server: run a Hono app on @hono/node-server (HTTP or HTTPS) and stop it gracefully. */
import { readFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Config } from '../config/schema.js'
import { StartupError } from '../config/startup-error.js'

/** The PEM material of the TLS listener (TLS_CERT_FILE, TLS_KEY_FILE, TLS_CLIENT_CA_FILE). */
export interface TlsMaterial {
  cert: Buffer
  key: Buffer
  /** CA(s) of client certificates: when set, the listener asks each client for one. */
  clientCa?: Buffer
}

export interface HttpServerOptions {
  fetch: (request: Request, env: unknown) => Response | Promise<Response>
  host: string
  /** 0 picks a free port. */
  port: number
  /** Serve HTTPS with this material; plain HTTP without it. */
  tls?: TlsMaterial
  /** Timeouts and the connection cap (HTTP_*); Node's defaults without them. */
  limits?: Config['listener']
}

/**
 * Reads the TLS listener's files, once, at startup.
 * @throws StartupError (exit 2) naming the variable whose file cannot be read; never its content.
 */
export function readTlsMaterial(tls: NonNullable<Config['tls']>): TlsMaterial {
  const read = (variable: string, file: string) => {
    try {
      return readFileSync(file)
    } catch (err) {
      throw new StartupError(
        'cannot start the TLS listener',
        `Cannot read the file named by ${variable}.`,
        {
          cause: err,
        },
      )
    }
  }
  return {
    cert: read('TLS_CERT_FILE', tls.certFile),
    key: read('TLS_KEY_FILE', tls.keyFile),
    ...(tls.clientCaFile ? { clientCa: read('TLS_CLIENT_CA_FILE', tls.clientCaFile) } : {}),
  }
}

/**
 * Options of the HTTPS listener. Security: with a client CA the listener requests a client
 * certificate but lets the handshake finish without one (or with one that fails verification),
 * so that API-key and JWT clients still connect; the mTLS strategy then refuses an unverified
 * certificate as an invalid credential (src/auth/mtls-certificate.ts).
 */
/**
 * Node's options for slow and idle clients. Security: without them a client that trickles its
 * headers or a declared 1 MB body holds its connection for minutes (Node waits up to 300 s for a
 * request, and looks only every 30 s). The check interval follows the headers timeout.
 */
const limitOptions = (l: Config['listener']) => {
  const headersTimeout = Math.round(l.headersTimeoutSeconds * 1000)
  return {
    headersTimeout,
    requestTimeout: Math.round(l.requestTimeoutSeconds * 1000),
    keepAliveTimeout: Math.round(l.keepAliveTimeoutSeconds * 1000),
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(headersTimeout / 4))),
  }
}

const httpsOptions = (tls: TlsMaterial) => ({
  cert: tls.cert,
  key: tls.key,
  minVersion: 'TLSv1.2' as const,
  ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
})

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
 * @throws the listen error (EADDRINUSE, EACCES) as Node reports it; StartupError when the TLS
 *   material is not a certificate and its key.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { tls, limits } = options
  const serverOptions = {
    ...(limits ? limitOptions(limits) : {}),
    ...(tls ? httpsOptions(tls) : {}),
  }
  const server = await new Promise<Server>((resolve, reject) => {
    let s: Server
    try {
      s = serve(
        {
          fetch: options.fetch,
          port: options.port,
          hostname: options.host,
          serverOptions,
          ...(tls ? { createServer: createHttpsServer } : {}),
        },
        () => resolve(s),
      ) as Server
      // Connections beyond the cap are closed as soon as they are accepted.
      if (limits) s.maxConnections = limits.maxConnections
    } catch (err) {
      // A key that does not fit its certificate, or PEM that is not one, fails here.
      throw new StartupError(
        'cannot start the TLS listener',
        'TLS_CERT_FILE and TLS_KEY_FILE must be a PEM certificate and its private key.',
        { cause: err },
      )
    }
    s.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  let closing: Promise<boolean> | undefined
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
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
