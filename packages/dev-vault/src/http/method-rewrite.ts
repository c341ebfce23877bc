/**
 * @module dev-vault/http/method-rewrite: lets node:http serve Vault's `LIST` verb (and any other
 * method) by rewriting each request line of a method node:http does not know to `GET`, carrying the real method in a header.
 */
import { METHODS } from 'node:http'
import { Duplex } from 'node:stream'
import type { Socket } from 'node:net'

/** The header that carries the client's original method to the handler. */
export const METHOD_HEADER = 'x-dev-vault-original-method'

const HEAD_LIMIT = 64 * 1024
const KNOWN = new Set(METHODS)

type State =
  | { kind: 'head' }
  | { kind: 'length'; remaining: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; remaining: number }
  | { kind: 'trailers' }
  | { kind: 'passthrough' }

/**
 * Tracks HTTP/1.1 message framing (Content-Length and chunked bodies) so that every request
 * head can be rewritten, keep-alive included. Bodies pass through untouched.
 */
function createRewriter(): (chunk: Buffer) => Buffer {
  let state: State = { kind: 'head' }
  let pending = Buffer.alloc(0)

  function rewriteHead(head: string): { text: string; next: State } {
    const lines = head.split('\r\n')
    const [method = '', target = '', version = ''] = (lines[0] ?? '').split(' ')
    const headers = lines
      .slice(1)
      .filter((l) => l.split(':')[0]?.trim().toLowerCase() !== METHOD_HEADER)
    let length = 0
    let chunked = false
    for (const l of headers) {
      const i = l.indexOf(':')
      const name = l.slice(0, i).trim().toLowerCase()
      const value = l.slice(i + 1).trim()
      if (name === 'content-length') length = Number(value) || 0
      if (name === 'transfer-encoding' && /chunked/i.test(value)) chunked = true
    }
    // Security: the method header is always set here, so a client cannot choose it separately.
    const line = KNOWN.has(method) ? (lines[0] as string) : `GET ${target} ${version}`
    const text = [line, `${METHOD_HEADER}: ${method}`, ...headers].join('\r\n')
    const next: State = chunked
      ? { kind: 'chunk-size' }
      : length > 0
        ? { kind: 'length', remaining: length }
        : { kind: 'head' }
    return { text: `${text}\r\n\r\n`, next }
  }

  return (chunk) => {
    pending = Buffer.concat([pending, chunk])
    const out: Buffer[] = []
    for (;;) {
      if (pending.length === 0) break
      if (state.kind === 'passthrough') {
        out.push(pending)
        pending = Buffer.alloc(0)
        break
      }
      if (state.kind === 'head') {
        let start = 0
        while (pending[start] === 0x0d || pending[start] === 0x0a) start++
        const end = pending.indexOf('\r\n\r\n', start)
        if (end < 0) {
          if (pending.length > HEAD_LIMIT) state = { kind: 'passthrough' }
          else break
          continue
        }
        const { text, next } = rewriteHead(pending.subarray(start, end).toString('latin1'))
        out.push(Buffer.from(text, 'latin1'))
        pending = pending.subarray(end + 4)
        state = next
        continue
      }
      if (state.kind === 'length' || state.kind === 'chunk-data') {
        const n = Math.min(state.remaining, pending.length)
        out.push(pending.subarray(0, n))
        pending = pending.subarray(n)
        state.remaining -= n
        if (state.remaining === 0)
          state = state.kind === 'length' ? { kind: 'head' } : { kind: 'chunk-size' }
        continue
      }
      // chunk-size and trailers are line-based.
      const eol = pending.indexOf('\r\n')
      if (eol < 0) break
      const line = pending.subarray(0, eol).toString('latin1')
      out.push(pending.subarray(0, eol + 2))
      pending = pending.subarray(eol + 2)
      if (state.kind === 'trailers') {
        if (line === '') state = { kind: 'head' }
        continue
      }
      if (line === '') continue // CRLF after a chunk's data
      const size = parseInt(line.split(';')[0] as string, 16)
      if (Number.isNaN(size)) state = { kind: 'passthrough' }
      else state = size === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', remaining: size }
    }
    return Buffer.concat(out)
  }
}

/** Wraps a TCP socket so the HTTP parser sees rewritten request heads. */
export function rewriteMethods(socket: Socket): Duplex {
  const rewrite = createRewriter()
  const duplex = new Duplex({
    read() {
      socket.resume()
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb)
    },
    final(cb) {
      socket.end()
      cb()
    },
    destroy(err, cb) {
      socket.destroy()
      cb(err)
    },
  })
  socket.on('data', (d: Buffer) => {
    const out = rewrite(d)
    if (out.length > 0 && !duplex.push(out)) socket.pause()
  })
  socket.on('end', () => duplex.push(null))
  socket.on('error', (e) => duplex.destroy(e))
  socket.on('close', () => duplex.destroy())
  Object.assign(duplex, {
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    setTimeout: (ms: number, cb?: () => void) => {
      socket.setTimeout(ms, cb)
      return duplex
    },
    setNoDelay: (v?: boolean) => socket.setNoDelay(v),
    setKeepAlive: (e?: boolean, d?: number) => socket.setKeepAlive(e, d),
  })
  socket.on('timeout', () => duplex.emit('timeout'))
  return duplex
}
