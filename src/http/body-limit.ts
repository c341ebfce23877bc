/**
 * @module http/body-limit: MAX_BODY_BYTES for every request, checked before anything reads the
 * body, without turning each request into a WHATWG Request first.
 */
import type { IncomingMessage } from 'node:http'
import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit as honoBodyLimit } from 'hono/body-limit'
import type { AppEnv } from './context.js'

/**
 * Refuses a body over `maxBytes` through `tooLarge` (which throws the app's 413). Over a socket
 * (@hono/node-server): a `Content-Length` over the limit is refused unread (Node's parser holds
 * the body to that length); a chunked body is read here with a running count, refused the moment
 * it passes the limit, and otherwise handed on as the request's raw body, which
 * @hono/node-server reads directly. A request without either header has no body. In-process
 * requests (`app.request()`) go through hono's own body limit.
 *
 * Cost: hono's middleware asks for `c.req.raw.body`, which makes @hono/node-server build a full
 * WHATWG Request (headers, AbortController, a web stream) for every request, and then read the
 * body through that stream; this looks at the Node request's headers instead.
 */
export function bodyLimit(
  maxBytes: number,
  tooLarge: (c: Context<AppEnv>) => never,
): MiddlewareHandler<AppEnv> {
  const inProcess = honoBodyLimit({
    maxSize: maxBytes,
    onError: (c) => tooLarge(c as Context<AppEnv>),
  })
  return (c, next) => {
    const incoming = (c.env as { incoming?: IncomingMessage & { rawBody?: Buffer } } | undefined)
      ?.incoming
    if (!incoming) return inProcess(c, next)
    const { headers } = incoming
    // Not async on this path (a body with a length, or none): no promise of its own per request.
    if (headers['transfer-encoding'] === undefined) {
      const length = headers['content-length']
      if (length !== undefined && Number(length) > maxBytes) tooLarge(c)
      return next()
    }
    return readChunked(incoming, maxBytes, () => tooLarge(c)).then(next)
  }
}

/** Reads a chunked body with a running count into `incoming.rawBody`; `tooLarge` past the limit. */
async function readChunked(
  incoming: IncomingMessage & { rawBody?: Buffer },
  maxBytes: number,
  tooLarge: () => never,
): Promise<void> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) tooLarge()
    chunks.push(chunk)
  }
  incoming.rawBody = Buffer.concat(chunks, size)
}
