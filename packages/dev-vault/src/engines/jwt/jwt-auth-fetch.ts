/** @module dev-vault/engines/jwt/jwt-auth-fetch: bounded JSON GETs for JWKS and OIDC discovery documents. */
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'

/** Responses larger than this are refused (a JWKS is a few KiB). */
const MAX_BYTES = 1024 * 1024
const TIMEOUT_MS = 10_000

/**
 * GETs `url` and parses its JSON body, trusting `caPem` (or the system roots) for https.
 * Rejects on a bad URL, a non-2xx status, a timeout, more than 1 MiB or invalid JSON.
 */
export function fetchJson(url: string, caPem = ''): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let target: URL
    try {
      target = new URL(url)
    } catch (e) {
      reject(e as Error)
      return
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      reject(new Error(`unsupported scheme ${target.protocol}`))
      return
    }
    const options = {
      method: 'GET',
      headers: { accept: 'application/json' },
      timeout: TIMEOUT_MS,
      ...(caPem ? { ca: caPem } : {}),
    }
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
      target,
      options,
      (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          if (size > MAX_BYTES) {
            req.destroy(new Error('response too large'))
            return
          }
          chunks.push(c)
        })
        res.on('end', () => {
          const status = res.statusCode ?? 0
          if (status < 200 || status > 299) {
            reject(new Error(`unexpected status ${status}`))
            return
          }
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown)
          } catch (e) {
            reject(e as Error)
          }
        })
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}
