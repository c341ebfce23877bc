/**
 * @module test/helpers/vault-1-8: proxy rewrites that make the dev vault (Vault 1.17 semantics)
 * answer as Vault 1.8 does where the bridge's token role depends on the version: `sys/health`
 * reports 1.8.12, and token roles know no policy globs (1.9.0, GH-7277): a write's glob fields
 * are ignored (1.8 ignores unknown fields), and a read shows neither them nor
 * `token_no_default_policy` (shown since 1.9.0, GH-12565).
 */
import type { ProxyRewrites } from './vault-proxy.js'

const ROLE = /^auth\/token\/roles\/[^/]+$/
const GLOB_FIELDS = ['allowed_policies_glob', 'disallowed_policies_glob']

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

const without = (o: Record<string, unknown>, keys: string[]) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)))

export const VAULT_1_8: ProxyRewrites = {
  request(method, path, body) {
    if (!ROLE.test(path) || !['POST', 'PUT'].includes(method) || !isObject(body)) return undefined
    return without(body, GLOB_FIELDS)
  },
  response(method, path, body) {
    if (!isObject(body)) return undefined
    if (path === 'sys/health') return { ...body, version: '1.8.12' }
    if (ROLE.test(path) && method === 'GET' && isObject(body.data)) {
      return { ...body, data: without(body.data, [...GLOB_FIELDS, 'token_no_default_policy']) }
    }
    return undefined
  },
}
