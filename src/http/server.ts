/** @module http/server: run a Hono app on @hono/node-server (HTTP or HTTPS) and stop it gracefully. */
import type { Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Config } from '../config/schema.js'
import { StartupError } from '../config/startup-error.js'
import { readCertificates, readKeyPair, startupError } from '../config/tls-files.js'

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
  /** The variable that sets `port`, for the operator's message when it cannot be bound. */
  portVariable?: string
}

/**
 * Reads the TLS listener's files, once, at startup, and checks that they are a PEM certificate
 * with its key and (TLS_CLIENT_CA_FILE) PEM certificates.
 * @throws StartupError (exit 2) naming the variable whose file is wrong; never its content.
 */
export function readTlsMaterial(tls: NonNullable<Config['tls']>): TlsMaterial {
  const fail = startupError('cannot start the TLS listener')
  const pair = readKeyPair(
    { cert: 'TLS_CERT_FILE', key: 'TLS_KEY_FILE' },
    { cert: tls.certFile, key: tls.keyFile },
    fail,
  )
  return {
    ...pair,
    ...(tls.clientCaFile
      ? { clientCa: readCertificates('TLS_CLIENT_CA_FILE', tls.clientCaFile, fail) }
      : {}),
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

/** A port that cannot be bound is the operator's to fix: one line naming the variable. */
function listenError(err: NodeJS.ErrnoException, o: HttpServerOptions): Error {
  const where = `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`
  const variable = o.portVariable ?? 'PORT'
  const why: Record<string, string> = {
    EADDRINUSE: `${where} is already in use: stop what listens there, or set ${variable} (or HOST) to a free one.`,
    EACCES: `this process may not listen on ${where}: ports below 1024 need privileges; set ${variable} to 1024 or above.`,
    EADDRNOTAVAIL: `${o.host} is not an address of this machine: set HOST to one of its addresses (or 0.0.0.0).`,
  }
  const message = err.code === undefined ? undefined : why[err.code]
  return message ? new StartupError('cannot listen', message, { cause: err }) : err
}

/**
 * Starts listening and resolves once the port is bound.
 * @throws StartupError when the port is in use or may not be bound (naming `portVariable`), or
 *   when the TLS material is not a certificate and its key; another listen error as Node
 *   reports it.
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
    s.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, options)))
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
