/**
 * @module config/schema: the one configuration schema. It reads the environment (flat
 * UPPER_SNAKE names that existing users already set), validates every value, and gives the
 * nested `Config` the rest of the bridge uses. The README table is generated from it.
 */
import { z } from 'zod'
import { SCOPES, isValidAgentId, type Scope } from '../core/identity.js'
import { OPERATIONS } from '../core/operations.js'
import { parseCidr } from './cidr.js'

// ---------------------------------------------------------------------------------------------
// Value parsers (each message says what is right; none ever repeats the value it was given)

const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'TRUE', 'FALSE', 'True', 'False'], {
      message: 'must be true, false, 1 or 0',
    })
    .default(def ? 'true' : 'false')
    .transform((v) => v.toLowerCase() === 'true' || v === '1')

/** `90s`, `5m`, `1h`, `1d`, or plain seconds → seconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text)
  if (!m) return undefined
  const n = Number(m[1])
  const unit = m[2] ?? 's'
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[unit] ?? 1
  return n * factor
}

const duration = (def: string) =>
  z
    .string()
    .default(def)
    .transform((v, ctx) => {
      const seconds = parseDuration(v)
      if (seconds === undefined) {
        ctx.addIssue({ code: 'custom', message: 'must be a duration such as 90s, 5m, 1h or 30' })
        return z.NEVER
      }
      return seconds
    })

// Strict digits: `z.coerce.number` would read " " as 0 and "0x1F" or "1e3" as numbers.
const int = (def: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,15}$/, { message: 'must be a whole number' })
    .default(String(def))
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { message: `must be at least ${min}` })
        .max(max, { message: `must be at most ${max}` }),
    )

const url = (message = 'must be an http(s) URL such as http://127.0.0.1:8200') =>
  z.string().refine((v) => /^https?:$/.test(safeUrl(v)?.protocol ?? ''), { message })

const safeUrl = (v: string): URL | undefined => {
  try {
    return new URL(v)
  } catch {
    return undefined
  }
}

/** A Vault mount path such as `secret` or `team/kv`: no leading or trailing `/`, no `.`/`..`. */
const mountPath = (def: string) =>
  z
    .string()
    .regex(/^(?!.*(^|\/)\.{1,2}(\/|$))[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, {
      message: 'must be a mount path such as "secret" or "team/kv" (no leading or trailing "/")',
    })
    .default(def)

const csv = (def = '') =>
  z
    .string()
    .default(def)
    .transform((v) =>
      v
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    )

const scopeList = (def: string) =>
  csv(def).pipe(z.array(z.enum(SCOPES, { message: `scopes are ${SCOPES.join(', ')}` })))

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v))

/** The bytes of a key given as hex (64+ digits) or base64 (standard or URL-safe), or undefined. */
export function decodeKey(text: string): Buffer | undefined {
  const v = text.trim()
  if (/^(?:[0-9a-fA-F]{2})+$/.test(v) && v.length >= 64) return Buffer.from(v, 'hex')
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) return Buffer.from(v, 'base64')
  return undefined
}

// Security: the message never repeats the value (it is a secret).
const signingKey = optional.transform((v, ctx) => {
  if (v === undefined) return undefined
  const key = decodeKey(v)
  if (!key || key.length < 32) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be at least 32 random bytes, as hex or base64 (for example: openssl rand -base64 32)',
    })
    return z.NEVER
  }
  return key
})

/**
 * One API key entry after parsing. The key is kept as given here; the API key strategy
 * (src/auth/api-key.ts) keeps only its SHA-256 digest.
 */
export interface ApiKeyEntry {
  key: string
  agent: string
  scopes: Scope[]
}

/** Shortest API key accepted (16 random characters resist online guessing). */
export const MIN_API_KEY_LENGTH = 16

const apiKeysJson = z
  .string()
  .default('{}')
  .transform((text, ctx): ApiKeyEntry[] => {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object {"<api-key>": "<agent-id>"}' })
      return z.NEVER
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object {"<api-key>": "<agent-id>"}' })
      return z.NEVER
    }
    const entries: ApiKeyEntry[] = []
    Object.entries(parsed).forEach(([key, value], index) => {
      // Security: the key itself is a secret; problems name the entry by position, not by key.
      const where = `entry #${index + 1}`
      const spec =
        typeof value === 'string'
          ? { agent: value, scopes: [...SCOPES] }
          : (value as { agent?: unknown; scopes?: unknown } | null)
      // Security: the auth-failure limit only caps guesses per address and window (many
      // addresses each get their own), so online guessing is held off by the key's own
      // strength: 16 characters are 64 bits even in hex.
      if (key.length < MIN_API_KEY_LENGTH) {
        ctx.addIssue({
          code: 'custom',
          message: `${where}: API keys must be at least ${MIN_API_KEY_LENGTH} characters (openssl rand -hex 32 makes a good one)`,
        })
        return
      }
      if (!spec || typeof spec.agent !== 'string' || !isValidAgentId(spec.agent)) {
        ctx.addIssue({
          code: 'custom',
          message: `${where}: the agent id must be 1-64 letters, digits, "_", "." or "-" (no leading/trailing "-", no "--")`,
        })
        return
      }
      const scopes = spec.scopes ?? [...SCOPES]
      if (
        !Array.isArray(scopes) ||
        !scopes.every((s) => (SCOPES as readonly unknown[]).includes(s))
      ) {
        ctx.addIssue({
          code: 'custom',
          message: `${where}: scopes must be a list of ${SCOPES.join(', ')}`,
        })
        return
      }
      entries.push({ key, agent: spec.agent, scopes: scopes as Scope[] })
    })
    return entries
  })

const overridesJson = z
  .string()
  .default('{}')
  .transform((text, ctx) => {
    const shape = z.record(
      z.string().refine(isValidAgentId, { message: 'keys must be agent ids' }),
      z.strictObject({
        requests: z.number().int().min(1),
        window_seconds: z.number().int().min(1),
      }),
    )
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'must be JSON like {"agent": {"requests": 100, "window_seconds": 60}}',
      })
      return z.NEVER
    }
    const r = shape.safeParse(parsed)
    if (!r.success) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be JSON like {"agent": {"requests": 100, "window_seconds": 60}}',
      })
      return z.NEVER
    }
    return r.data
  })

// ---------------------------------------------------------------------------------------------
// The environment, variable by variable. `.describe()` is the README's "meaning" column.

/** The token role `provision` writes and the bridge mints child tokens through (CHILD_TOKEN_ROLE). */
export const DEFAULT_CHILD_TOKEN_ROLE = 'mcp-bridge-agents'
/** CHILD_TOKEN_ROLE value for minting with `auth/token/create` (no role). */
export const NO_CHILD_TOKEN_ROLE = 'none'
/**
 * The explicit max TTL of the token role `provision` writes: no child token outlives it, so
 * CHILD_TOKEN_TTL plus CHILD_TOKEN_REUSE_SECONDS must fit in it.
 */
export const CHILD_TOKEN_MAX_TTL_SECONDS = 3600
/** The JWT auth mount `provision` configures for JWT exchange (one the bridge has to itself). */
export const DEFAULT_JWT_EXCHANGE_MOUNT = 'mcp-jwt'
/** Where an agent's id goes in VAULT_JWT_EXCHANGE_ROLE. */
export const AGENT_PLACEHOLDER = '{agent}'
/** Each agent's JWT role: named like its policy by default. */
export const DEFAULT_JWT_EXCHANGE_ROLE = `mcp-agent-${AGENT_PLACEHOLDER}`
/** The shortest VAULT_JWT_EXCHANGE_TOKEN_TTL: a cached login is reused until 15 s before it ends. */
export const JWT_EXCHANGE_MIN_TOKEN_TTL_SECONDS = 60

export const envSchema = z.object({
  HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('Listen address (the container sets 0.0.0.0).'),
  PORT: int(8089, 0, 65535).describe('Listen port.'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info')
    .describe('Log level of the JSON logs on stderr.'),
  MAX_BODY_BYTES: int(1024 * 1024, 1024, 64 * 1024 * 1024).describe(
    'Largest request body accepted; larger ones get 413 before parsing.',
  ),
  SHUTDOWN_TIMEOUT: duration('10s').describe(
    'How long SIGTERM waits for in-flight requests before exiting.',
  ),
  HTTP_HEADERS_TIMEOUT: duration('15s').describe(
    "Time a client has to send a request's headers (slow clients get 408 and are cut off).",
  ),
  HTTP_REQUEST_TIMEOUT: duration('30s').describe(
    'Time a client has to send a whole request, body included (at least HTTP_HEADERS_TIMEOUT).',
  ),
  HTTP_KEEP_ALIVE_TIMEOUT: duration('5s').describe(
    'How long an idle keep-alive connection stays open (a proxy in front must idle out sooner).',
  ),
  HTTP_MAX_CONNECTIONS: int(1024, 1, 1_000_000).describe(
    'Most open client connections; connections beyond it are closed at once.',
  ),
  DEBUG_ENDPOINTS: bool(false).describe(
    'Expose GET /echo-headers (header names, values of an allow-list only) for debugging.',
  ),
  ALLOWED_ORIGINS: csv().describe(
    'Origins allowed to call the bridge (REST and /mcp) from a browser. Bound to loopback, loopback Origins may call too (never cross-site).',
  ),
  ALLOWED_HOSTS: csv().describe(
    'Host names the bridge answers to besides loopback (DNS rebinding); unset: any unless HOST is loopback.',
  ),
  TLS_CERT_FILE: optional.describe(
    'PEM certificate (chain) of the listener; with TLS_KEY_FILE the bridge serves HTTPS.',
  ),
  TLS_KEY_FILE: optional.describe('PEM private key of TLS_CERT_FILE.'),
  TLS_CLIENT_CA_FILE: optional.describe(
    'PEM CA(s) of the client certificates that authenticate agents (MTLS_MODE=tls).',
  ),

  VAULT_ADDR: url()
    .default('http://localhost:8200')
    .describe('Vault address. `serve` always talks to this Vault.'),
  VAULT_NAMESPACE: optional.describe('Vault Enterprise namespace, sent as X-Vault-Namespace.'),
  VAULT_TOKEN: optional.describe('Token the bridge uses with Vault (or use AppRole).'),
  VAULT_ROLE_ID: optional.describe('AppRole role id for the bridge login.'),
  VAULT_SECRET_ID: optional.describe('AppRole secret id for the bridge login.'),
  VAULT_APPROLE_MOUNT: z
    .string()
    .min(1)
    .default('approle')
    .describe('Mount path of the AppRole auth method.'),
  VAULT_CACERT: optional.describe("PEM file of the CA that signed Vault's TLS certificate."),
  VAULT_CLIENT_CERT: optional.describe('PEM client certificate for TLS to Vault.'),
  VAULT_CLIENT_KEY: optional.describe('PEM private key of VAULT_CLIENT_CERT.'),
  VAULT_SKIP_VERIFY: bool(false).describe(
    'Skip TLS verification of Vault (insecure; warns loudly).',
  ),
  VAULT_TIMEOUT: duration('10s').describe('Timeout of every Vault call.'),
  KV_MOUNT: mountPath('secret').describe('Mount path of the KV v2 engine.'),
  DEFAULT_PREFIX: z
    .string()
    .regex(/^(?!\.{1,2}$)(?!.*--)[A-Za-z0-9_.-]{1,64}$/, {
      message:
        'must be 1-64 letters, digits, "_", "." or "-" without "/" or "--" (it also names transit keys)',
    })
    .default('mcp')
    .describe('Prefix under which each agent has its namespace.'),
  TRANSIT_MOUNT: mountPath('transit').describe('Mount path of the Transit engine.'),
  LIST_MAX_KEYS: int(1000, 1, 100000).describe(
    'Most keys one page of any list returns (the default and the cap of `limit`; `next_cursor` fetches the rest).',
  ),
  LIST_MAX_FOLDERS: int(100, 1, 10000).describe(
    'Most folders one page of a recursive list opens (one Vault call each); `next_cursor` goes on from there.',
  ),
  DATA_MAX_DEPTH: int(20, 1, 1000).describe(
    "Deepest nesting of a secret's data (the data object itself is level 1).",
  ),
  DATA_MAX_KEYS: int(1000, 1, 1_000_000).describe(
    "Most keys and array items in a secret's data, at all levels together.",
  ),
  DATA_MAX_VALUE_BYTES: int(256 * 1024, 1, 64 * 1024 * 1024).describe(
    "Largest value of one field of a secret's data, in bytes of JSON.",
  ),
  OPERATIONS: csv().describe(
    'Operations this bridge offers, comma-separated (empty: all). Any other is not an MCP tool ' +
      'and answers REST with 403 OPERATION_DISABLED; whoami is always on.',
  ),
  READ_ONLY: bool(false).describe(
    'Offer only the operations that change nothing (the read-only ones: reads, lists, decrypt, ' +
      'verify, whoami); with OPERATIONS, those of its names.',
  ),

  AUTH_API_KEY_ENABLED: bool(true).describe('Accept X-API-Key.'),
  AUTH_JWT_ENABLED: bool(true).describe('Accept Authorization: Bearer <JWT>.'),
  AUTH_MTLS_ENABLED: bool(false).describe(
    'Authenticate agents by client certificate (how: MTLS_MODE).',
  ),
  API_KEYS_JSON: apiKeysJson.describe(
    'API keys: {"<key>": "<agent-id>"} or {"<key>": {"agent": "<id>", "scopes": ["read"]}}.',
  ),
  JWT_HS256_SECRET: optional.describe('Shared secret for HS256 tokens (at least 32 bytes).'),
  JWT_ALLOW_WEAK_SECRET: bool(false).describe('Allow a JWT_HS256_SECRET shorter than 32 bytes.'),
  JWT_JWKS_URL: optional.describe(
    'JWKS URL for RS256/PS256/ES256/EdDSA tokens (needs JWT_ISSUER and an audience).',
  ),
  JWT_ISSUER: optional.describe(
    'Required `iss`; an http(s) URL is also used for OIDC discovery of the JWKS.',
  ),
  JWT_AUDIENCE: optional.describe(
    'Required `aud` (with a JWKS or OIDC, this or OAUTH_RESOURCE must be set).',
  ),
  JWT_ALGORITHMS: csv('HS256,RS256,PS256,ES256,EdDSA')
    .pipe(
      z.array(
        z.enum(
          [
            'HS256',
            'HS384',
            'HS512',
            'RS256',
            'RS384',
            'RS512',
            'PS256',
            'PS384',
            'PS512',
            'ES256',
            'ES384',
            'ES512',
            'EdDSA',
          ],
          {
            message:
              'algorithms are HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512, EdDSA',
          },
        ),
      ),
    )
    .describe('Allowed JWT algorithms.'),
  JWT_CLOCK_TOLERANCE: duration('30s').describe('Clock skew allowed for exp/nbf/iat.'),
  JWT_MAX_LIFETIME: duration('24h').describe(
    'Longest lifetime a token may have (exp minus iat, or minus now without iat).',
  ),
  JWT_SUBJECT_CLAIM: z.string().min(1).default('sub').describe('Claim that holds the agent id.'),
  JWT_DEFAULT_SCOPES: scopeList(SCOPES.join(',')).describe(
    'Scopes of an HS256 token that carries none (narrow this in production).',
  ),
  JWT_JWKS_DEFAULT_SCOPES: scopeList('').describe(
    'Scopes of a JWKS/OIDC token that carries none (none by default: 403 insufficient_scope).',
  ),
  MTLS_MODE: z
    .enum(['tls', 'header'], { message: 'must be tls or header' })
    .default('tls')
    .describe(
      "tls: the bridge's TLS listener verifies client certificates (preferred); header: a TLS proxy does.",
    ),
  MTLS_IDENTITY_HEADER: z
    .string()
    .min(1)
    .default('x-ssl-client-s-dn')
    .describe('Header mode: header with the client certificate subject DN.'),
  MTLS_VERIFY_HEADER: z
    .string()
    .min(1)
    .default('x-ssl-client-verify')
    .describe("Header mode: header with the proxy's verification result."),
  MTLS_DN_FORMAT: z
    .enum(['rfc4514', 'openssl'], { message: 'must be rfc4514 or openssl' })
    .default('rfc4514')
    .describe(
      'Header mode: DN format, rfc4514 (CN=a,O=b) or openssl (/O=b/CN=a with "/" escaped).',
    ),
  MTLS_SUBJECT_CN_PREFIX: z.string().default('CN=').describe('Prefix of the CN in the subject DN.'),
  MTLS_TRUSTED_PROXIES: csv().describe(
    'Header mode: CIDRs of the proxies whose identity headers are believed (required).',
  ),
  MTLS_PROXY_SECRET: optional.describe(
    'Header mode: shared secret the proxy sends (required, 32+ characters).',
  ),
  MTLS_PROXY_SECRET_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, { message: 'must be a header name such as x-mtls-proxy-secret' })
    .default('x-mtls-proxy-secret')
    .describe('Header mode: header in which the proxy sends MTLS_PROXY_SECRET.'),
  MTLS_SCOPES: scopeList(SCOPES.join(',')).describe('Scopes of mTLS identities.'),
  OAUTH_RESOURCE: optional.describe('Canonical URI of this server; tokens must name it in `aud`.'),
  OAUTH_RESOURCE_NAME: z
    .string()
    .default('vault-mcp-bridge')
    .describe('Human-readable resource name.'),
  OAUTH_AUTHORIZATION_SERVERS: csv().describe('Authorization servers for RFC 9728 metadata.'),
  OAUTH_BEARER_METHODS_SUPPORTED: csv('header').describe('Bearer methods advertised.'),
  OAUTH_SCOPES_SUPPORTED: csv(SCOPES.join(',')).describe('Scopes advertised.'),

  CHILD_TOKEN_ENABLED: bool(false).describe(
    "Use a per-request child token bound to the agent's policy.",
  ),
  CHILD_TOKEN_TTL: duration('90s').describe('TTL of child tokens.'),
  CHILD_TOKEN_POLICY_PREFIX: z
    .string()
    .min(1)
    .default('mcp-agent-')
    .describe('Agent policy name prefix.'),
  CHILD_TOKEN_REUSE_SECONDS: duration('0').describe(
    "Reuse an agent's child token for this long (0 = a fresh token per request).",
  ),
  CHILD_TOKEN_ROLE: z
    .string()
    .regex(/^[a-z0-9_.-]{1,128}$/, {
      message: 'must be a token role name: lower-case letters, digits, "_", "." or "-"',
    })
    .default(DEFAULT_CHILD_TOKEN_ROLE)
    .describe(
      'Token role child tokens are minted through (auth/token/create/<role>, written by provision); none: auth/token/create, which allows only policies the bridge token holds.',
    ),

  VAULT_JWT_EXCHANGE_ENABLED: bool(false).describe(
    "Callers with a JWKS/OIDC JWT reach Vault as themselves via Vault's JWT auth method (needs JWT_JWKS_URL or an http(s) JWT_ISSUER; not with JWT_HS256_SECRET).",
  ),
  VAULT_JWT_EXCHANGE_MOUNT: mountPath(DEFAULT_JWT_EXCHANGE_MOUNT).describe(
    "Mount path of Vault's JWT auth method the bridge logs callers in to (provision configures it).",
  ),
  VAULT_JWT_EXCHANGE_ROLE: z
    .string()
    .default(DEFAULT_JWT_EXCHANGE_ROLE)
    .describe(
      'Name of each agent\'s role on that mount, with {agent} for the agent id (lower-case letters, digits, "_", "." or "-" around it).',
    ),
  VAULT_JWT_EXCHANGE_ONLY: bool(false).describe(
    "Refuse callers that cannot be exchanged (API key, mTLS, stdio) instead of serving them as without exchange (a child token when CHILD_TOKEN_ENABLED, else the bridge's token).",
  ),
  VAULT_JWT_EXCHANGE_TOKEN_TTL: duration('5m').describe(
    'TTL and max TTL of the Vault tokens the roles issue (provision and gen-policy --jwt-exchange write it).',
  ),
  VAULT_JWT_EXCHANGE_CACHE_SIZE: int(1000, 0, 1_000_000).describe(
    'Caller tokens whose Vault login is kept for reuse (least recently used dropped and its Vault token revoked; 0 = a login per request).',
  ),

  RATE_LIMIT_ENABLED: bool(true).describe('Per-agent rate limits.'),
  RATE_LIMIT_REQUESTS: int(60, 1, 1_000_000).describe('Requests per window per agent.'),
  RATE_LIMIT_WINDOW_SECONDS: int(60, 1, 86_400).describe('Rate-limit window.'),
  RATE_LIMIT_OVERRIDES_JSON: overridesJson.describe(
    'Per-agent limits: {"agent": {"requests": n, "window_seconds": s}}.',
  ),
  RATE_LIMIT_REDIS_URL: optional.describe('Redis URL to share limits across replicas.'),
  AUTH_FAILURE_LIMIT: int(20, 1, 1_000_000).describe(
    'Failed authentications per client address per window.',
  ),
  AUTH_FAILURE_WINDOW_SECONDS: int(300, 1, 86_400).describe('Window of AUTH_FAILURE_LIMIT.'),

  WRAP_TTL_MAX: duration('1h').describe(
    'Longest wrap TTL a read may ask Vault for (read_secret `wrap_ttl`); at least 1s.',
  ),

  STATE_SIGNING_KEY: signingKey.describe(
    'Key of what the bridge signs to verify later (MCP requestState): hex or base64 of 32+ random bytes, the same on every replica. Unset: one per process.',
  ),

  PUBLIC_URL: optional.describe(
    'URL people open the bridge at (request_secret links), such as https://bridge.example.com; unset: the address the caller used, on a loopback listener only.',
  ),
  SECRET_ENTRY_TTL: duration('10m').describe('How long a request_secret link works (1m to 24h).'),
  SECRET_ENTRY_MAX_OPEN: int(20, 1, 1000).describe(
    'Most open (unused, unexpired) request_secret links one agent may have; one more is refused with TOO_MANY_OPEN_REQUESTS (429). Counted across replicas with RATE_LIMIT_REDIS_URL.',
  ),

  AUDIT_LOG: z
    .string()
    .min(1)
    .default('stdout')
    .describe('Audit trail: stdout, stderr, a file path, or off.'),
  METRICS_ENABLED: bool(true).describe('Serve Prometheus metrics at /metrics.'),
  METRICS_PORT: int(0, 0, 65535).describe(
    'Serve /metrics on this port instead (0 = the main port).',
  ),

  MCP_SECRET_VALUES: z
    .enum(['reveal', 'redact', 'elicit', 'wrap'], {
      message: 'must be reveal, redact, elicit or wrap',
    })
    .default('reveal')
    .describe(
      'What MCP clients see of secret values: reveal, redact, elicit (ask the user), or wrap (Vault wrapping tokens only).',
    ),
  MCP_WRAP_TTL: duration('5m').describe(
    'Wrap TTL of MCP reads with MCP_SECRET_VALUES=wrap when the call names none (at most WRAP_TTL_MAX).',
  ),
  MCP_STDIO_AGENT: optional.describe('Agent id of the stdio MCP transport.'),
  MCP_STDIO_SCOPES: scopeList(SCOPES.join(',')).describe('Scopes of the stdio MCP transport.'),
})

export type Env = z.input<typeof envSchema>

/** Variables whose values are secrets: masked by check-config, never logged. */
export const SECRET_VARIABLES = [
  'VAULT_TOKEN',
  'VAULT_SECRET_ID',
  'API_KEYS_JSON',
  'JWT_HS256_SECRET',
  'VAULT_CLIENT_KEY',
  'MTLS_PROXY_SECRET',
  'STATE_SIGNING_KEY',
] as const

type Issue = (variable: string, message: string) => void

/**
 * The TLS listener and the two mTLS modes. Security: header mode believes identity headers only
 * from MTLS_TRUSTED_PROXIES (no default: loopback is shared by every process on the host) AND
 * only with MTLS_PROXY_SECRET, so a proxy proves itself beyond its address.
 */
function checkTls(e: z.output<typeof envSchema>, issue: Issue): void {
  if (e.TLS_CERT_FILE && !e.TLS_KEY_FILE)
    issue('TLS_KEY_FILE', 'is required when TLS_CERT_FILE is set')
  if (e.TLS_KEY_FILE && !e.TLS_CERT_FILE)
    issue('TLS_CERT_FILE', 'is required when TLS_KEY_FILE is set')
  const nativeMtls = e.AUTH_MTLS_ENABLED && e.MTLS_MODE === 'tls'
  if (e.TLS_CLIENT_CA_FILE && !nativeMtls) {
    issue(
      'TLS_CLIENT_CA_FILE',
      'is used only for client-certificate authentication: set AUTH_MTLS_ENABLED=true (MTLS_MODE=tls), or unset it',
    )
  }
  if (!e.AUTH_MTLS_ENABLED) return
  if (e.MTLS_MODE === 'tls') {
    if (e.MTLS_TRUSTED_PROXIES.length > 0) {
      issue(
        'MTLS_MODE',
        'is tls (the default) but MTLS_TRUSTED_PROXIES is set: set MTLS_MODE=header to believe a TLS-terminating proxy, or unset MTLS_TRUSTED_PROXIES',
      )
    }
    if (!e.TLS_CLIENT_CA_FILE) {
      issue(
        'TLS_CLIENT_CA_FILE',
        'is required for mTLS with MTLS_MODE=tls (with TLS_CERT_FILE and TLS_KEY_FILE); behind a TLS-terminating proxy set MTLS_MODE=header instead',
      )
    }
    if (!e.TLS_CERT_FILE) issue('TLS_CERT_FILE', 'is required for mTLS with MTLS_MODE=tls')
    return
  }
  if (e.MTLS_TRUSTED_PROXIES.length === 0) {
    issue(
      'MTLS_TRUSTED_PROXIES',
      'is required with MTLS_MODE=header: the CIDRs of your TLS proxy only, such as 10.0.0.5/32 (there is no default)',
    )
  }
  if (!e.MTLS_PROXY_SECRET) {
    issue(
      'MTLS_PROXY_SECRET',
      'is required with MTLS_MODE=header: a random value your proxy sends in MTLS_PROXY_SECRET_HEADER (openssl rand -hex 32)',
    )
  } else if (e.MTLS_PROXY_SECRET.length < 32) {
    issue('MTLS_PROXY_SECRET', 'must be at least 32 characters (openssl rand -hex 32)')
  }
}

/**
 * Security: a key set (JWT_JWKS_URL, or OIDC discovery of an http(s) JWT_ISSUER) usually signs
 * tokens for many applications. Without an issuer and an audience, a token the identity provider
 * issued for any of them would be accepted here.
 */
function checkJwt(e: z.output<typeof envSchema>, issue: Issue): void {
  if (e.JWT_MAX_LIFETIME <= 0) issue('JWT_MAX_LIFETIME', 'must be longer than 0 seconds')
  const discovery = !!e.JWT_ISSUER && /^https?:$/.test(safeUrl(e.JWT_ISSUER)?.protocol ?? '')
  if (!e.AUTH_JWT_ENABLED || (!e.JWT_JWKS_URL && !discovery)) return
  if (!e.JWT_ISSUER) {
    issue(
      'JWT_ISSUER',
      'is required with JWT_JWKS_URL: the `iss` of the tokens your identity provider issues',
    )
  }
  if (!e.JWT_AUDIENCE && !e.OAUTH_RESOURCE) {
    issue(
      'JWT_AUDIENCE',
      'is required with JWT_JWKS_URL or OIDC discovery (or set OAUTH_RESOURCE): the `aud` your identity provider puts in tokens for this bridge',
    )
  }
}

/** The parts of VAULT_JWT_EXCHANGE_ROLE around {agent}: what Vault keeps as is in a role name. */
const ROLE_TEMPLATE_PART = /^[a-z0-9_.-]*$/

/**
 * JWT exchange: the bridge hands the caller's own JWT to Vault's JWT auth method, which verifies
 * public-key signatures only (it cannot be given an HS256 secret). So exchange needs the bridge's
 * JWKS or OIDC issuer and refuses JWT_HS256_SECRET, and VAULT_JWT_EXCHANGE_ONLY refuses every
 * configuration in which some callers could authenticate but never reach Vault.
 */
function checkJwtExchange(e: z.output<typeof envSchema>, issue: Issue): void {
  const template = e.VAULT_JWT_EXCHANGE_ROLE
  const parts = template.split(AGENT_PLACEHOLDER)
  if (parts.length !== 2 || !parts.every((p) => ROLE_TEMPLATE_PART.test(p))) {
    issue(
      'VAULT_JWT_EXCHANGE_ROLE',
      `must contain ${AGENT_PLACEHOLDER} once, around it only lower-case letters, digits, "_", "." or "-" (such as ${DEFAULT_JWT_EXCHANGE_ROLE})`,
    )
  }
  if (e.VAULT_JWT_EXCHANGE_ONLY && !e.VAULT_JWT_EXCHANGE_ENABLED) {
    issue('VAULT_JWT_EXCHANGE_ONLY', 'needs VAULT_JWT_EXCHANGE_ENABLED=true')
  }
  if (!e.VAULT_JWT_EXCHANGE_ENABLED) return
  if (e.VAULT_JWT_EXCHANGE_TOKEN_TTL < JWT_EXCHANGE_MIN_TOKEN_TTL_SECONDS) {
    issue('VAULT_JWT_EXCHANGE_TOKEN_TTL', 'must be at least 1m')
  }
  const discovery = !!e.JWT_ISSUER && /^https?:$/.test(safeUrl(e.JWT_ISSUER)?.protocol ?? '')
  const asymmetric = e.JWT_ALGORITHMS.some((a) => !a.startsWith('HS'))
  if (!e.AUTH_JWT_ENABLED || (!e.JWT_JWKS_URL && !discovery)) {
    issue(
      'VAULT_JWT_EXCHANGE_ENABLED',
      "needs JWT authentication with public keys (AUTH_JWT_ENABLED=true and JWT_JWKS_URL, or an http(s) JWT_ISSUER for OIDC discovery): Vault's JWT auth method cannot verify HS256 tokens (JWT_HS256_SECRET)",
    )
  } else if (!asymmetric) {
    issue(
      'JWT_ALGORITHMS',
      "must allow a public-key algorithm (RS256, PS256, ES256, EdDSA, ...) with VAULT_JWT_EXCHANGE_ENABLED: Vault's JWT auth method cannot verify HS256 tokens",
    )
  }
  // Issue 19: "HS256 tokens cannot be verified by Vault's JWT method: refuse that combination
  // at startup". Security: an HS256 caller would otherwise reach Vault with the bridge's (or a
  // child) token while its operator believes Vault checks every JWT itself.
  if (e.AUTH_JWT_ENABLED && e.JWT_HS256_SECRET) {
    issue(
      'JWT_HS256_SECRET',
      "is set with VAULT_JWT_EXCHANGE_ENABLED=true, but Vault's JWT auth method cannot verify HS256 tokens: unset JWT_HS256_SECRET and mint RS256/ES256 tokens from the JWKS or OIDC issuer, or use API keys (API_KEYS_JSON) for scripts",
    )
  }
  if (!e.VAULT_JWT_EXCHANGE_ONLY) return
  const only = 'VAULT_JWT_EXCHANGE_ONLY'
  if (e.AUTH_API_KEY_ENABLED && e.API_KEYS_JSON.length > 0) {
    issue(
      only,
      'is true but API_KEYS_JSON holds keys: API-key callers have no JWT to exchange; remove the keys (or AUTH_API_KEY_ENABLED=false), or set VAULT_JWT_EXCHANGE_ONLY=false',
    )
  }
  if (e.AUTH_MTLS_ENABLED) {
    issue(
      only,
      'is true but AUTH_MTLS_ENABLED is too: certificate callers have no JWT to exchange; disable mTLS, or set VAULT_JWT_EXCHANGE_ONLY=false',
    )
  }
}

const OPERATION_NAMES: readonly string[] = OPERATIONS.map((op) => op.name)

/**
 * OPERATIONS names only operations, and READ_ONLY=true leaves each of them on: an operator who
 * names an operation expects it offered, so a name READ_ONLY would switch off is an error, not
 * a silent gap.
 */
function checkOperations(
  e: Pick<z.output<typeof envSchema>, 'OPERATIONS' | 'READ_ONLY'>,
  issue: (path: string, message: string) => void,
): void {
  const unknown = e.OPERATIONS.filter((n) => !OPERATION_NAMES.includes(n))
  if (unknown.length > 0) {
    issue(
      'OPERATIONS',
      `names no operation ${unknown.map((n) => JSON.stringify(n.slice(0, 64))).join(', ')}; ` +
        `the operations are ${OPERATION_NAMES.join(', ')}`,
    )
  }
  if (e.READ_ONLY) {
    const changing = OPERATIONS.filter(
      (op) => e.OPERATIONS.includes(op.name) && !op.hints.readOnly,
    ).map((op) => op.name)
    if (changing.length > 0) {
      issue(
        'OPERATIONS',
        `names ${changing.join(', ')}, which READ_ONLY=true switches off (they change Vault); ` +
          'remove them or set READ_ONLY=false',
      )
    }
  }
}

/** The operations offered: OPERATIONS (all when empty), read-only ones only with READ_ONLY. */
function offeredOperations(e: Pick<z.output<typeof envSchema>, 'OPERATIONS' | 'READ_ONLY'>) {
  return OPERATIONS.filter(
    (op) =>
      op.name === 'whoami' ||
      ((e.OPERATIONS.length === 0 || e.OPERATIONS.includes(op.name)) &&
        (!e.READ_ONLY || op.hints.readOnly)),
  ).map((op) => op.name)
}

/** The checks that span variables, each reported against the variable to fix. */
export const configSchema = envSchema
  .superRefine((e, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message })
    if (!e.AUTH_API_KEY_ENABLED && !e.AUTH_JWT_ENABLED && !e.AUTH_MTLS_ENABLED) {
      issue(
        'AUTH_API_KEY_ENABLED',
        'every auth method is disabled; enable at least one of AUTH_API_KEY_ENABLED, AUTH_JWT_ENABLED, AUTH_MTLS_ENABLED',
      )
    }
    if (/\/v1\/?$/.test(safeUrl(e.VAULT_ADDR)?.pathname ?? '')) {
      issue(
        'VAULT_ADDR',
        'must not end in /v1 (the bridge adds /v1/ to every path): give the address alone, such as https://vault.example.com:8200',
      )
    }
    if (e.VAULT_ROLE_ID && !e.VAULT_SECRET_ID)
      issue('VAULT_SECRET_ID', 'is required when VAULT_ROLE_ID is set (AppRole login)')
    if (e.VAULT_SECRET_ID && !e.VAULT_ROLE_ID)
      issue('VAULT_ROLE_ID', 'is required when VAULT_SECRET_ID is set (AppRole login)')
    if (e.VAULT_CLIENT_CERT && !e.VAULT_CLIENT_KEY)
      issue('VAULT_CLIENT_KEY', 'is required when VAULT_CLIENT_CERT is set')
    if (
      e.JWT_HS256_SECRET &&
      Buffer.byteLength(e.JWT_HS256_SECRET) < 32 &&
      !e.JWT_ALLOW_WEAK_SECRET
    ) {
      issue(
        'JWT_HS256_SECRET',
        'must be at least 32 bytes (or set JWT_ALLOW_WEAK_SECRET=true for development)',
      )
    }
    if (e.JWT_JWKS_URL && !/^https?:$/.test(safeUrl(e.JWT_JWKS_URL)?.protocol ?? '')) {
      issue('JWT_JWKS_URL', 'must be an http(s) URL')
    }
    checkJwt(e, issue)
    if (e.OAUTH_RESOURCE && !/^https?:$/.test(safeUrl(e.OAUTH_RESOURCE)?.protocol ?? '')) {
      issue('OAUTH_RESOURCE', 'must be an http(s) URL such as https://bridge.example.com/mcp')
    }
    if (
      e.RATE_LIMIT_REDIS_URL &&
      !/^rediss?:$/.test(safeUrl(e.RATE_LIMIT_REDIS_URL)?.protocol ?? '')
    ) {
      issue('RATE_LIMIT_REDIS_URL', 'must be a redis:// or rediss:// URL')
    }
    if (e.MCP_STDIO_AGENT && !isValidAgentId(e.MCP_STDIO_AGENT)) {
      issue('MCP_STDIO_AGENT', 'must be a valid agent id (1-64 letters, digits, "_", "." or "-")')
    }
    if (e.OAUTH_AUTHORIZATION_SERVERS.length > 0 && !e.OAUTH_RESOURCE) {
      issue(
        'OAUTH_RESOURCE',
        'is required when OAUTH_AUTHORIZATION_SERVERS is set (it is the `resource` of the RFC 9728 metadata)',
      )
    }
    if (e.OAUTH_AUTHORIZATION_SERVERS.some((v) => !/^https?:$/.test(safeUrl(v)?.protocol ?? ''))) {
      issue('OAUTH_AUTHORIZATION_SERVERS', 'must be a list of http(s) URLs')
    }
    if (!e.MTLS_TRUSTED_PROXIES.every((v) => parseCidr(v) !== undefined)) {
      issue('MTLS_TRUSTED_PROXIES', 'must be a list of CIDRs such as 10.0.0.5/32 or 10.0.0.0/8')
    }
    checkTls(e, issue)
    checkJwtExchange(e, issue)
    if (
      e.CHILD_TOKEN_ROLE !== NO_CHILD_TOKEN_ROLE &&
      e.CHILD_TOKEN_TTL + e.CHILD_TOKEN_REUSE_SECONDS > CHILD_TOKEN_MAX_TTL_SECONDS
    ) {
      issue(
        'CHILD_TOKEN_TTL',
        `plus CHILD_TOKEN_REUSE_SECONDS must be at most ${CHILD_TOKEN_MAX_TTL_SECONDS / 3600}h, the explicit max TTL of the token role (CHILD_TOKEN_ROLE)`,
      )
    }
    for (const name of ['HTTP_HEADERS_TIMEOUT', 'HTTP_REQUEST_TIMEOUT'] as const) {
      if (e[name] < 0.1) issue(name, 'must be at least 100ms')
    }
    if (e.HTTP_HEADERS_TIMEOUT > e.HTTP_REQUEST_TIMEOUT) {
      issue('HTTP_HEADERS_TIMEOUT', 'must not be longer than HTTP_REQUEST_TIMEOUT')
    }
    if (e.PUBLIC_URL && !/^https?:$/.test(safeUrl(e.PUBLIC_URL)?.protocol ?? '')) {
      issue('PUBLIC_URL', 'must be an http(s) URL such as https://bridge.example.com')
    }
    if (e.SECRET_ENTRY_TTL < 60 || e.SECRET_ENTRY_TTL > 86_400) {
      issue('SECRET_ENTRY_TTL', 'must be between 1m and 24h')
    }
    if (e.WRAP_TTL_MAX < 1) issue('WRAP_TTL_MAX', 'must be at least 1s')
    // Security: Vault answers a wrap TTL of 0 (or a header it reads as 0) unwrapped.
    if (e.MCP_WRAP_TTL < 1 || e.MCP_WRAP_TTL > e.WRAP_TTL_MAX) {
      issue('MCP_WRAP_TTL', 'must be between 1s and WRAP_TTL_MAX')
    }
    if (e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT)
      issue('METRICS_PORT', 'must differ from PORT (or be 0)')
    checkOperations(e, issue)
  })
  .transform((e) => ({
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    maxBodyBytes: e.MAX_BODY_BYTES,
    shutdownTimeoutSeconds: e.SHUTDOWN_TIMEOUT,
    listener: {
      headersTimeoutSeconds: e.HTTP_HEADERS_TIMEOUT,
      requestTimeoutSeconds: e.HTTP_REQUEST_TIMEOUT,
      keepAliveTimeoutSeconds: e.HTTP_KEEP_ALIVE_TIMEOUT,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
    },
    debugEndpoints: e.DEBUG_ENDPOINTS,
    allowedOrigins: e.ALLOWED_ORIGINS,
    allowedHosts: e.ALLOWED_HOSTS,
    tls:
      e.TLS_CERT_FILE && e.TLS_KEY_FILE
        ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE, clientCaFile: e.TLS_CLIENT_CA_FILE }
        : undefined,
    vault: {
      address: e.VAULT_ADDR,
      namespace: e.VAULT_NAMESPACE,
      token: e.VAULT_TOKEN,
      appRole:
        e.VAULT_ROLE_ID && e.VAULT_SECRET_ID
          ? { roleId: e.VAULT_ROLE_ID, secretId: e.VAULT_SECRET_ID, mount: e.VAULT_APPROLE_MOUNT }
          : undefined,
      tls: {
        caCertFile: e.VAULT_CACERT,
        clientCertFile: e.VAULT_CLIENT_CERT,
        clientKeyFile: e.VAULT_CLIENT_KEY,
        skipVerify: e.VAULT_SKIP_VERIFY,
      },
      timeoutSeconds: e.VAULT_TIMEOUT,
      kvMount: e.KV_MOUNT,
      transitMount: e.TRANSIT_MOUNT,
    },
    prefix: e.DEFAULT_PREFIX,
    /** The names of the operations offered (OPERATIONS, READ_ONLY), in catalogue order. */
    operations: offeredOperations(e),
    readOnly: e.READ_ONLY,
    listMaxKeys: e.LIST_MAX_KEYS,
    listMaxFolders: e.LIST_MAX_FOLDERS,
    dataLimits: {
      maxDepth: e.DATA_MAX_DEPTH,
      maxKeys: e.DATA_MAX_KEYS,
      maxValueBytes: e.DATA_MAX_VALUE_BYTES,
    },
    auth: {
      apiKey: { enabled: e.AUTH_API_KEY_ENABLED, keys: e.API_KEYS_JSON },
      jwt: {
        enabled: e.AUTH_JWT_ENABLED,
        hs256Secret: e.JWT_HS256_SECRET,
        jwksUrl: e.JWT_JWKS_URL,
        issuer: e.JWT_ISSUER,
        audience: e.JWT_AUDIENCE,
        algorithms: e.JWT_ALGORITHMS,
        clockToleranceSeconds: e.JWT_CLOCK_TOLERANCE,
        maxLifetimeSeconds: e.JWT_MAX_LIFETIME,
        subjectClaim: e.JWT_SUBJECT_CLAIM,
        defaultScopes: e.JWT_DEFAULT_SCOPES,
        jwksDefaultScopes: e.JWT_JWKS_DEFAULT_SCOPES,
      },
      mtls: {
        enabled: e.AUTH_MTLS_ENABLED,
        mode: e.MTLS_MODE,
        identityHeader: e.MTLS_IDENTITY_HEADER.toLowerCase(),
        verifyHeader: e.MTLS_VERIFY_HEADER.toLowerCase(),
        dnFormat: e.MTLS_DN_FORMAT,
        cnPrefix: e.MTLS_SUBJECT_CN_PREFIX,
        trustedProxies: e.MTLS_TRUSTED_PROXIES,
        proxySecret: e.MTLS_PROXY_SECRET,
        proxySecretHeader: e.MTLS_PROXY_SECRET_HEADER.toLowerCase(),
        scopes: e.MTLS_SCOPES,
      },
      oauth: {
        resource: e.OAUTH_RESOURCE,
        resourceName: e.OAUTH_RESOURCE_NAME,
        authorizationServers: e.OAUTH_AUTHORIZATION_SERVERS,
        bearerMethodsSupported: e.OAUTH_BEARER_METHODS_SUPPORTED,
        scopesSupported: e.OAUTH_SCOPES_SUPPORTED,
      },
    },
    childToken: {
      enabled: e.CHILD_TOKEN_ENABLED,
      ttlSeconds: e.CHILD_TOKEN_TTL,
      policyPrefix: e.CHILD_TOKEN_POLICY_PREFIX,
      reuseSeconds: e.CHILD_TOKEN_REUSE_SECONDS,
      /** Undefined: mint with `auth/token/create` (CHILD_TOKEN_ROLE=none). */
      role: e.CHILD_TOKEN_ROLE === NO_CHILD_TOKEN_ROLE ? undefined : e.CHILD_TOKEN_ROLE,
    },
    jwtExchange: {
      enabled: e.VAULT_JWT_EXCHANGE_ENABLED,
      mount: e.VAULT_JWT_EXCHANGE_MOUNT,
      /** The role name with `{agent}` where the agent id goes. */
      roleTemplate: e.VAULT_JWT_EXCHANGE_ROLE,
      only: e.VAULT_JWT_EXCHANGE_ONLY,
      tokenTtlSeconds: e.VAULT_JWT_EXCHANGE_TOKEN_TTL,
      cacheSize: e.VAULT_JWT_EXCHANGE_CACHE_SIZE,
    },
    rateLimit: {
      enabled: e.RATE_LIMIT_ENABLED,
      requests: e.RATE_LIMIT_REQUESTS,
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      overrides: e.RATE_LIMIT_OVERRIDES_JSON,
      redisUrl: e.RATE_LIMIT_REDIS_URL,
      authFailures: {
        requests: e.AUTH_FAILURE_LIMIT,
        windowSeconds: e.AUTH_FAILURE_WINDOW_SECONDS,
      },
    },
    /** Root key of everything the bridge signs; undefined: the composition root makes one. */
    signing: { key: e.STATE_SIGNING_KEY },
    /** request_secret's one-time page. */
    secretEntry: {
      publicUrl: e.PUBLIC_URL,
      ttlSeconds: e.SECRET_ENTRY_TTL,
      maxOpen: e.SECRET_ENTRY_MAX_OPEN,
    },
    audit: { sink: e.AUDIT_LOG },
    metrics: { enabled: e.METRICS_ENABLED, port: e.METRICS_PORT },
    /** Response wrapping of reads: the longest wrap TTL a caller may ask for (whole seconds). */
    wrap: { maxTtlSeconds: Math.floor(e.WRAP_TTL_MAX) },
    mcp: {
      secretValues: e.MCP_SECRET_VALUES,
      /** MCP_SECRET_VALUES=wrap: the wrap TTL of a read that names none (whole seconds). */
      wrapTtlSeconds: Math.floor(e.MCP_WRAP_TTL),
      stdio: { agent: e.MCP_STDIO_AGENT, scopes: e.MCP_STDIO_SCOPES },
    },
  }))

export type Config = z.output<typeof configSchema>
