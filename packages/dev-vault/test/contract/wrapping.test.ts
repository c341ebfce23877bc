/**
 * @module dev-vault/test/contract/wrapping.test: response wrapping (`X-Vault-Wrap-TTL`, the
 * wrapped envelope, `sys/wrapping/*`, wrapping tokens, the `response-wrapping` policy and
 * policies' wrapping TTL bounds), as Vault's core does it (`vault/wrapping.go`,
 * `logical_system.go`, `request_handling.go`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ACL_DENIED,
  BOGUS_TOKEN,
  clientFor,
  contractVault,
  createToken,
  envelopeKeys,
  hcl,
  invalidTokenErrors,
  mountEngine,
  raw,
  revokeLater,
  serviceTokenPrefix,
  tokenWithPolicy,
  uniqueName,
  writePolicy,
  type ContractVault,
  type RawResponse,
} from './harness.js'
import { assertSince, GATES, has, requires } from './versions.js'

let vault: ContractVault
/** A KV v2 mount unique to this run. */
let kv: string

const INVALID = 'wrapping token is not valid or does not exist'

beforeAll(async () => {
  vault = await contractVault()
  kv = await mountEngine(vault, 'wrapkv', { type: 'kv', options: { version: '2' } })
})

afterAll(() => vault?.close())

interface WrapInfo {
  token: string
  accessor: string
  ttl: number
  creation_time: string
  creation_path: string
  wrapped_accessor?: string
}

/** Writes a secret (root) and returns its `data/` path. */
async function secret(data: Record<string, unknown> = { password: 's3cr3t' }): Promise<string> {
  const path = `${kv}/data/${uniqueName('s')}`
  await clientFor(vault).write(path, { data })
  return path
}

/**
 * A request with `X-Vault-Wrap-TTL`; when it is wrapped, the wrapping token is revoked by
 * `vault.close()` (a no-op once it is spent).
 */
async function wrapped(
  method: string,
  path: string,
  ttl: string,
  options: { token?: string | null; body?: unknown } = {},
): Promise<RawResponse> {
  const res = await raw(vault, method, path, { ...options, headers: { 'X-Vault-Wrap-TTL': ttl } })
  const info = res.json?.wrap_info as WrapInfo | undefined
  if (info) revokeLater(vault, info.accessor)
  return res
}

/** The `wrap_info` of a request that must be wrapped. */
async function wrapInfo(
  method: string,
  path: string,
  ttl = '300',
  options: { token?: string | null; body?: unknown } = {},
): Promise<WrapInfo> {
  const res = await wrapped(method, path, ttl, options)
  expect(res.status, res.text).toBe(200)
  return res.json.wrap_info as WrapInfo
}

const unwrap = (wrapToken: string) =>
  raw(vault, 'POST', 'sys/wrapping/unwrap', { token: wrapToken })
const lookup = (wrapToken: string) =>
  raw(vault, 'POST', 'sys/wrapping/lookup', { token: null, body: { token: wrapToken } })

describe('X-Vault-Wrap-TTL', () => {
  it('wraps a KV v2 read: the envelope carries only wrap_info, in Vault’s field order', async (ctx) => {
    const path = await secret()
    const before = Date.now()
    const res = await wrapped('GET', path, '300')
    expect(res.status).toBe(200)
    expect(res.text.endsWith('}\n')).toBe(true)
    expect(res.text).not.toContain('s3cr3t')
    expect(Object.keys(res.json)).toEqual(envelopeKeys())
    expect(res.json).toMatchObject({
      request_id: '',
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: null,
      warnings: null,
      auth: null,
    })
    await assertSince(ctx, GATES.mountType, () => expect(res.json.mount_type).toBe(''))
    const info = res.json.wrap_info as WrapInfo
    // wrapped_accessor is omitted: the response carries no token.
    expect(Object.keys(info)).toEqual([
      'token',
      'accessor',
      'ttl',
      'creation_time',
      'creation_path',
    ])
    expect(info.token.startsWith(serviceTokenPrefix())).toBe(true)
    expect(info.accessor).toMatch(/^\S+$/)
    expect(info.accessor).not.toBe(info.token)
    expect(info.ttl).toBe(300)
    expect(info.creation_path).toBe(path)
    const created = Date.parse(info.creation_time)
    expect(created).toBeGreaterThanOrEqual(before - 60_000)
    expect(created).toBeLessThanOrEqual(Date.now() + 60_000)
  })

  it('takes seconds, days and Go durations; the ttl shown is whole seconds', async () => {
    const path = await secret()
    const cases: Array<[string, number]> = [
      ['90', 90],
      ['2d', 172800],
      ['1h30m', 5400],
      ['1500ms', 1],
    ]
    for (const [header, ttl] of cases) expect((await wrapInfo('GET', path, header)).ttl).toBe(ttl)
  })

  it('refuses a TTL it cannot parse or a negative one with 400, before anything is read', async () => {
    const path = await secret()
    const cases: Array<[string, string]> = [
      ['abc', 'time: invalid duration "abc"'],
      ['5x', 'time: unknown unit "x" in duration "5x"'],
      ['1.5d', 'strconv.ParseInt: parsing "1.5": invalid syntax'],
      ['-5m', 'requested wrap ttl cannot be negative'],
      ['-30', 'requested wrap ttl cannot be negative'],
    ]
    for (const [header, message] of cases) {
      const res = await wrapped('GET', path, header)
      expect([res.status, res.json.errors]).toEqual([
        400,
        [`error parsing X-Vault-Wrap-TTL header: ${message}`],
      ])
    }
  })

  it('answers a TTL of 0 unwrapped, with the value', async () => {
    const path = await secret({ v: 'plain' })
    const res = await wrapped('GET', path, '0')
    expect(res.status).toBe(200)
    expect(res.json.wrap_info).toBeNull()
    expect(res.json.data.data).toEqual({ v: 'plain' })
  })

  it('wraps neither a 404 nor an error', async () => {
    const absent = await wrapped('GET', `${kv}/data/${uniqueName('none')}`, '300')
    expect([absent.status, absent.json]).toEqual([404, { errors: [] }])
    const bad = await wrapped('POST', `${kv}/data/${uniqueName('bad')}`, '300', { body: {} })
    expect([bad.status, bad.json.errors]).toEqual([400, ['no data provided']])
  })

  it('wraps the response of a write, which happens', async () => {
    const path = `${kv}/data/${uniqueName('w')}`
    const info = await wrapInfo('POST', path, '300', { body: { data: { k: 'v' } } })
    expect(info.creation_path).toBe(path)
    expect((await clientFor(vault).read(path)).data.data).toEqual({ k: 'v' })
    const out = await unwrap(info.token)
    expect(out.json.data.version).toBe(1)
  })

  it('wraps a soft-deleted version; its unwrap answers 404 with the KV metadata body', async () => {
    const path = await secret()
    await clientFor(vault).delete(path)
    const info = await wrapInfo('GET', path)
    const out = await unwrap(info.token)
    expect(out.status).toBe(404)
    expect(out.json.data.data).toBeNull()
    expect(out.json.data.metadata.version).toBe(1)
    expect(out.json.data.metadata.deletion_time).not.toBe('')
    expect((await unwrap(info.token)).status).toBe(400)
  })

  it('wraps a LIST with keys; an empty LIST is 404 unsupported path, and no token', async () => {
    const dir = uniqueName('dir')
    await clientFor(vault).write(`${kv}/data/${dir}/a`, { data: { x: 1 } })
    const info = await wrapInfo('LIST', `${kv}/metadata/${dir}`)
    expect(info.creation_path).toBe(`${kv}/metadata/${dir}/`)
    expect((await unwrap(info.token)).json.data.keys).toEqual(['a'])
    const empty = await wrapped('LIST', `${kv}/metadata/${uniqueName('empty')}`, '300')
    expect([empty.status, empty.json.errors]).toEqual([404, ['unsupported path']])
  })

  it('wraps any read that answers data: KV metadata, a Transit key, a cubbyhole entry, lookup-self', async () => {
    const path = await secret({ any: 'read' })
    const transit = await mountEngine(vault, 'wraptr', { type: 'transit' })
    await clientFor(vault).write(`${transit}/keys/k`, {})
    const { token } = await createToken(vault, { policies: ['default'], ttl: '10m' })
    const cubby = await raw(vault, 'POST', 'cubbyhole/note', { token, body: { n: 'mine' } })
    expect(cubby.status).toBe(204)
    const reads: Array<[string, string | undefined]> = [
      [path.replace('/data/', '/metadata/'), undefined],
      [`${transit}/keys/k`, undefined],
      ['cubbyhole/note', token],
      ['auth/token/lookup-self', token],
    ]
    for (const [readPath, as] of reads) {
      const plain = await raw(vault, 'GET', readPath, as === undefined ? {} : { token: as })
      expect([readPath, plain.status]).toEqual([readPath, 200])
      const info = await wrapInfo('GET', readPath, '300', as === undefined ? {} : { token: as })
      expect(info.creation_path).toBe(readPath)
      const out = await unwrap(info.token)
      expect([readPath, out.status]).toEqual([readPath, 200])
      if (readPath === 'auth/token/lookup-self') {
        // Its ttl runs on; who it is does not.
        expect(out.json.data).toMatchObject({ id: token, accessor: plain.json.data.accessor })
      } else {
        expect([readPath, out.json.data]).toEqual([readPath, plain.json.data])
      }
    }
  })

  it('wraps a token creation: wrapped_accessor names the new token', async () => {
    const policy = await writePolicy(vault, 'wrapc', hcl(`${kv}/data/x`, ['read']))
    const info = await wrapInfo('POST', 'auth/token/create', '300', {
      body: { policies: [policy], ttl: '10m' },
    })
    expect(info.creation_path).toBe('auth/token/create')
    expect(info.wrapped_accessor).toEqual(expect.any(String))
    revokeLater(vault, info.wrapped_accessor as string)
    const out = await unwrap(info.token)
    const auth = out.json.auth
    expect(auth.accessor).toBe(info.wrapped_accessor)
    expect(auth.policies).toEqual(['default', policy].sort())
    const self = await raw(vault, 'GET', 'auth/token/lookup-self', { token: auth.client_token })
    expect(self.json.data.accessor).toBe(info.wrapped_accessor)
  })
})

describe('sys/wrapping/unwrap', () => {
  it('first party: the wrapping token as X-Vault-Token returns the stored response, once', async () => {
    const path = await secret({ password: 'first' })
    const info = await wrapInfo('GET', path)
    const out = await raw(vault, 'PUT', 'sys/wrapping/unwrap', { token: info.token })
    expect(out.status).toBe(200)
    expect(out.headers.get('content-type')).toContain('application/json')
    // The response exactly as json.Marshal stored it: no trailing newline, the read's request id.
    expect(out.text.endsWith('}')).toBe(true)
    expect(Object.keys(out.json).slice(0, 6)).toEqual(envelopeKeys().slice(0, 6))
    expect(out.json.request_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(out.json.wrap_info).toBeNull()
    expect(out.json.data.data).toEqual({ password: 'first' })
    expect(out.json.data.metadata.version).toBe(1)
    const again = await raw(vault, 'PUT', 'sys/wrapping/unwrap', { token: info.token })
    expect([again.status, again.json.errors]).toEqual([400, [INVALID]])
  })

  it('third party: the token in the body, the caller’s own token (default policy) in the header', async () => {
    const path = await secret({ password: 'third' })
    const info = await wrapInfo('GET', path)
    const { token: caller } = await tokenWithPolicy(vault, hcl(`${kv}/data/nothing`, ['read']))
    const out = await raw(vault, 'POST', 'sys/wrapping/unwrap', {
      token: caller,
      body: { token: info.token },
    })
    expect(out.status).toBe(200)
    expect(out.json.data.data).toEqual({ password: 'third' })
    const again = await raw(vault, 'POST', 'sys/wrapping/unwrap', {
      token: caller,
      body: { token: info.token },
    })
    expect([again.status, again.json.errors]).toEqual([400, [INVALID]])
  })

  it('works through node-vault’s unwrap, first and third party', async () => {
    const path = await secret({ via: 'node-vault' })
    const first = await wrapInfo('GET', path)
    const anonymous = clientFor(vault, '')
    const a = await anonymous.unwrap({
      requestOptions: { headers: { 'X-Vault-Token': first.token } },
    })
    expect(a.data.data).toEqual({ via: 'node-vault' })
    const third = await wrapInfo('GET', path)
    const b = await clientFor(vault).unwrap({ token: third.token })
    expect(b.data.data).toEqual({ via: 'node-vault' })
  })

  it('refuses an unknown, a spent and a non-wrapping token with 400, in the body or the header', async () => {
    const info = await wrapInfo('GET', await secret())
    expect((await unwrap(info.token)).status).toBe(200)
    const { token: ordinary } = await createToken(vault, { policies: ['default'], ttl: '10m' })
    for (const bad of [BOGUS_TOKEN, info.token, ordinary]) {
      const body = await raw(vault, 'POST', 'sys/wrapping/unwrap', { body: { token: bad } })
      expect([body.status, body.json.errors]).toEqual([400, [INVALID]])
      const header = await raw(vault, 'POST', 'sys/wrapping/unwrap', { token: bad })
      expect([header.status, header.json.errors]).toEqual([400, [INVALID]])
    }
    // The ordinary token was only looked at, not used.
    expect((await raw(vault, 'GET', 'auth/token/lookup-self', { token: ordinary })).status).toBe(
      200,
    )
  })

  it('refuses a missing, empty or non-string token with 403', async (ctx) => {
    requires(ctx, GATES.wrappingTokenChecks)
    const cases: Array<[unknown, string]> = [
      [undefined, 'token is empty'],
      [{ token: '' }, 'empty token in request body'],
      [{ token: 42 }, 'could not decode token in request body'],
    ]
    for (const [body, why] of cases) {
      const res = await raw(vault, 'POST', 'sys/wrapping/unwrap', { token: null, body })
      expect([res.status, res.json.errors]).toEqual([
        403,
        [`error validating wrapping token: ${why}`],
      ])
    }
  })

  it('a body token without any X-Vault-Token is refused like any request, and not spent', async () => {
    const info = await wrapInfo('GET', await secret({ kept: true }))
    const res = await raw(vault, 'POST', 'sys/wrapping/unwrap', {
      token: null,
      body: { token: info.token },
    })
    if (has(GATES.noTokenForbidden)) {
      expect([res.status, res.json.errors]).toEqual([403, ['permission denied']])
    } else {
      expect([res.status, res.json.errors]).toEqual([400, ['missing client token']])
    }
    expect((await lookup(info.token)).status).toBe(200)
    expect((await unwrap(info.token)).json.data.data).toEqual({ kept: true })
  })

  it('a token sent in both places is spent twice: an error, and the value is gone', async () => {
    const info = await wrapInfo('GET', await secret())
    const res = await raw(vault, 'POST', 'sys/wrapping/unwrap', {
      token: info.token,
      body: { token: info.token },
    })
    expect(res.status).toBe(500)
    expect(res.json.errors[0]).toContain("error decrementing wrapping token's use-count")
    expect((await lookup(info.token)).status).toBe(400)
  })
})

describe('sys/wrapping/lookup', () => {
  it('needs no token and does not spend the wrapping token', async (ctx) => {
    const path = await secret({ still: 'here' })
    const info = await wrapInfo('GET', path, '120')
    const res = await lookup(info.token)
    expect(res.status).toBe(200)
    expect(Object.keys(res.json)).toEqual(envelopeKeys())
    expect(res.json.data).toEqual({
      creation_path: path,
      creation_time: info.creation_time,
      creation_ttl: 120,
    })
    await assertSince(ctx, GATES.mountType, () => expect(res.json.mount_type).toBe('system'))
    // First party, as GET: still not spent.
    const own = await raw(vault, 'GET', 'sys/wrapping/lookup', { token: info.token })
    expect([own.status, own.json.data.creation_ttl]).toEqual([200, 120])
    expect((await unwrap(info.token)).json.data.data).toEqual({ still: 'here' })
    // Once unwrapped, a lookup shows the token was used: interception is detectable.
    expect([(await lookup(info.token)).status, (await lookup(info.token)).json.errors]).toEqual([
      400,
      [INVALID],
    ])
  })

  it('refuses an unknown or non-wrapping token with 400', async () => {
    expect((await lookup(BOGUS_TOKEN)).json.errors).toEqual([INVALID])
    const { token } = await createToken(vault, { policies: ['default'], ttl: '10m' })
    const res = await lookup(token)
    expect([res.status, res.json.errors]).toEqual([400, [INVALID]])
  })
})

describe('sys/wrapping/wrap', () => {
  it('wraps any JSON body; unwrap returns it as data', async () => {
    const { token } = await tokenWithPolicy(vault, hcl(`${kv}/data/none`, ['read']))
    const info = await wrapInfo('POST', 'sys/wrapping/wrap', '120', {
      token,
      body: { note: 'for the deploy job', n: 3, nested: { ok: true } },
    })
    expect(info.creation_path).toBe('sys/wrapping/wrap')
    expect(info.ttl).toBe(120)
    const out = await unwrap(info.token)
    expect(out.json.data).toEqual({ note: 'for the deploy job', n: 3, nested: { ok: true } })
  })

  it('needs a wrap TTL: 400 endpoint requires response wrapping to be used', async () => {
    const res = await raw(vault, 'POST', 'sys/wrapping/wrap', { body: { a: 'b' } })
    expect([res.status, res.json.errors]).toEqual([
      400,
      ['endpoint requires response wrapping to be used'],
    ])
  })
})

describe('sys/wrapping/rewrap', () => {
  it('spends the old token; the new one keeps the creation path and TTL (or a shorter one)', async () => {
    const path = await secret({ re: 'wrapped' })
    const old = await wrapInfo('GET', path, '300')
    const res = await raw(vault, 'POST', 'sys/wrapping/rewrap', { body: { token: old.token } })
    expect(res.status).toBe(200)
    const fresh = res.json.wrap_info as WrapInfo
    revokeLater(vault, fresh.accessor)
    expect(fresh.token).not.toBe(old.token)
    expect(fresh.creation_path).toBe(path)
    expect(fresh.ttl).toBe(300)
    expect((await lookup(old.token)).status).toBe(400)
    // The new token itself was made by the rewrap request.
    const look = await clientFor(vault).tokenLookup({ token: fresh.token })
    expect(look.data.path).toBe('sys/wrapping/rewrap')
    const shorter = await wrapped('POST', 'sys/wrapping/rewrap', '60', {
      body: { token: fresh.token },
    })
    const last = shorter.json.wrap_info as WrapInfo
    expect([last.ttl, last.creation_path]).toEqual([60, path])
    expect((await unwrap(last.token)).json.data.data).toEqual({ re: 'wrapped' })
  })

  it('is granted by neither the default nor the response-wrapping policy (403)', async () => {
    const info = await wrapInfo('GET', await secret())
    const { token } = await tokenWithPolicy(vault, hcl(`${kv}/data/none`, ['read']))
    const third = await raw(vault, 'POST', 'sys/wrapping/rewrap', {
      token,
      body: { token: info.token },
    })
    expect([third.status, third.json.errors]).toEqual([403, [ACL_DENIED]])
    expect((await lookup(info.token)).status).toBe(200)
    // First party the wrapping token is refused too, and that spends its only use.
    const first = await raw(vault, 'POST', 'sys/wrapping/rewrap', { token: info.token })
    expect([first.status, first.json.errors]).toEqual([403, [ACL_DENIED]])
    expect((await lookup(info.token)).status).toBe(400)
  })
})

describe('wrapping tokens', () => {
  it('are orphan, single-use, non-renewable service tokens of the response-wrapping policy', async () => {
    const path = await secret()
    const info = await wrapInfo('GET', path, '300')
    const look = await clientFor(vault).tokenLookup({ token: info.token })
    expect(look.data).toMatchObject({
      accessor: info.accessor,
      creation_ttl: 300,
      display_name: '',
      entity_id: '',
      explicit_max_ttl: 300,
      id: info.token,
      meta: null,
      num_uses: 1,
      orphan: true,
      path,
      policies: ['response-wrapping'],
      renewable: false,
      type: 'service',
    })
    expect(look.data.ttl).toBeGreaterThan(290)
    expect(look.data.ttl).toBeLessThanOrEqual(300)
    const byAccessor = await clientFor(vault).write('auth/token/lookup-accessor', {
      accessor: info.accessor,
    })
    expect(byAccessor.data).toMatchObject({ id: '', accessor: info.accessor, num_uses: 1, path })
    // Neither lookup used it.
    expect((await unwrap(info.token)).status).toBe(200)
  })

  it('outlive the child token that made the wrapped read, its revocation and its last use', async () => {
    const path = await secret({ survives: 'revocation' })
    const reader = await writePolicy(vault, 'wrapread', hcl(path, ['read']))
    const { token: child } = await createToken(vault, {
      policies: [reader],
      ttl: '60s',
      num_uses: 2,
    })
    const info = await wrapInfo('GET', path, '300', { token: child })
    expect((await raw(vault, 'POST', 'auth/token/revoke', { body: { token: child } })).status).toBe(
      204,
    )
    expect((await raw(vault, 'GET', 'auth/token/lookup-self', { token: child })).status).toBe(403)
    expect((await lookup(info.token)).status).toBe(200)
    const out = await unwrap(info.token)
    expect([out.status, out.json.data.data]).toEqual([200, { survives: 'revocation' }])
    expect((await unwrap(info.token)).status).toBe(400)

    // A child whose last use is the wrapped read: spent, yet the wrapping token stays valid.
    const { token: once } = await createToken(vault, {
      policies: [reader],
      ttl: '60s',
      num_uses: 1,
    })
    const last = await wrapInfo('GET', path, '300', { token: once })
    expect((await raw(vault, 'GET', 'auth/token/lookup-self', { token: once })).status).toBe(403)
    expect((await unwrap(last.token)).json.data.data).toEqual({ survives: 'revocation' })
  })

  it('outlive the revocation of the whole tree of the token that made them', async () => {
    const path = await secret({ tree: 'gone' })
    const reader = await writePolicy(vault, 'wraptree', hcl(path, ['read']))
    const minter = await writePolicy(vault, 'wrapmint', hcl('auth/token/create', ['update']))
    const { token: parent } = await createToken(vault, { policies: [reader, minter], ttl: '10m' })
    const child = await clientFor(vault, parent).tokenCreate({ policies: [reader], ttl: '5m' })
    const info = await wrapInfo('GET', path, '300', { token: child.auth.client_token })
    await clientFor(vault).tokenRevoke({ token: parent })
    expect(
      (await raw(vault, 'GET', 'auth/token/lookup-self', { token: child.auth.client_token }))
        .status,
    ).toBe(403)
    expect((await unwrap(info.token)).json.data.data).toEqual({ tree: 'gone' })
  })

  it('expire after their TTL: a lookup then fails, and so does the unwrap', async () => {
    const info = await wrapInfo('GET', await secret({ short: 'lived' }), '2s')
    expect(info.ttl).toBe(2)
    expect((await lookup(info.token)).status).toBe(200)
    // Polled with lookups, which do not spend the token, until Vault lets it expire.
    const deadline = Date.now() + 15_000
    let status = 200
    while (status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      status = (await lookup(info.token)).status
    }
    expect(status).toBe(400)
    expect((await unwrap(info.token)).json.errors).toEqual([INVALID])
  })

  it('keep the response in their own cubbyhole, which no other token sees and which ends with them', async () => {
    const info = await wrapInfo('GET', await secret({ only: 'here' }))
    const { token: other } = await createToken(vault, { policies: ['default'], ttl: '10m' })
    const elsewhere = await raw(vault, 'GET', 'cubbyhole/response', { token: other })
    expect([elsewhere.status, elsewhere.json]).toEqual([404, { errors: [] }])
    expect((await unwrap(info.token)).json.data.data).toEqual({ only: 'here' })
    // Unwrapped, the token is revoked, and its cubbyhole with it.
    const gone = await raw(vault, 'GET', 'cubbyhole/response', { token: info.token })
    expect([gone.status, gone.json.errors]).toEqual([403, invalidTokenErrors()])
  })

  it('are ended by revoke-accessor; unwrap then fails', async () => {
    const info = await wrapInfo('GET', await secret())
    const res = await raw(vault, 'POST', 'auth/token/revoke-accessor', {
      body: { accessor: info.accessor },
    })
    expect(res.status).toBe(204)
    expect((await unwrap(info.token)).json.errors).toEqual([INVALID])
  })

  it('keep the response in their cubbyhole: readable once, with a deprecation warning', async () => {
    const path = await secret({ old: 'way' })
    const info = await wrapInfo('GET', path)
    const meta = await raw(vault, 'GET', 'cubbyhole/wrapinfo', { token: info.token })
    expect([meta.status, meta.json.errors]).toEqual([403, [ACL_DENIED]])
    const again = await wrapInfo('GET', path)
    const res = await raw(vault, 'GET', 'cubbyhole/response', { token: again.token })
    expect(res.status).toBe(200)
    expect(res.json.warnings).toEqual([
      "Reading from 'cubbyhole/response' is deprecated. Please use sys/wrapping/unwrap to unwrap responses, as it provides additional security checks and other benefits.",
    ])
    expect(JSON.parse(res.json.data.response).data.data).toEqual({ old: 'way' })
    expect((await unwrap(again.token)).status).toBe(400)
  })
})

describe('the response-wrapping policy', () => {
  it('is hidden from LIST, readable, immutable and not assignable', async () => {
    const list = await clientFor(vault).list('sys/policies/acl')
    expect(list.data.keys).not.toContain('response-wrapping')
    const read = await clientFor(vault).read('sys/policies/acl/response-wrapping')
    expect(read.data.policy).toContain('path "cubbyhole/response"')
    expect(read.data.policy).toContain('path "sys/wrapping/unwrap"')
    const update = await raw(vault, 'PUT', 'sys/policies/acl/response-wrapping', {
      body: { policy: hcl('secret/*', ['read']) },
    })
    expect([update.status, update.json.errors]).toEqual([
      400,
      ['cannot update "response-wrapping" policy'],
    ])
    const del = await raw(vault, 'DELETE', 'sys/policies/acl/response-wrapping')
    expect([del.status, del.json.errors]).toEqual([
      400,
      ['cannot delete "response-wrapping" policy'],
    ])
    const assign = await raw(vault, 'POST', 'auth/token/create', {
      body: { policies: ['response-wrapping'] },
    })
    expect([assign.status, assign.json.errors]).toEqual([
      400,
      ['cannot assign policy "response-wrapping"'],
    ])
  })
})

describe('min_wrapping_ttl and max_wrapping_ttl', () => {
  it('a max forces wrapping within it; X-Vault-Wrap-TTL: 0 passes, unwrapped, as in Vault', async () => {
    const path = await secret({ bounded: 'max' })
    const { token } = await tokenWithPolicy(
      vault,
      `path "${path}" {\n  capabilities = ["read"]\n  max_wrapping_ttl = "90s"\n}\n`,
    )
    const plain = await raw(vault, 'GET', path, { token })
    expect([plain.status, plain.json.errors]).toEqual([403, [ACL_DENIED]])
    expect((await wrapped('GET', path, '91', { token })).status).toBe(403)
    expect((await wrapInfo('GET', path, '90', { token })).ttl).toBe(90)
    const zero = await wrapped('GET', path, '0', { token })
    expect([zero.status, zero.json.data?.data]).toEqual([200, { bounded: 'max' }])
  })

  it('a min refuses unwrapped and shorter TTLs', async () => {
    const path = await secret()
    const { token } = await tokenWithPolicy(
      vault,
      `path "${path}" {\n  capabilities = ["read"]\n  min_wrapping_ttl = 60\n}\n`,
    )
    expect((await raw(vault, 'GET', path, { token })).status).toBe(403)
    expect((await wrapped('GET', path, '30', { token })).status).toBe(403)
    expect((await wrapped('GET', path, '0', { token })).status).toBe(403)
    expect((await wrapInfo('GET', path, '2m', { token })).ttl).toBe(120)
  })

  it('refuses an unparsable bound, or a max below the min, when the policy is written (400)', async () => {
    const name = uniqueName('wrapbad')
    vault.defer(() => clientFor(vault).delete(`sys/policies/acl/${name}`))
    const cases: Array<[string, string]> = [
      [
        'path "x/*" {\n  capabilities = ["read"]\n  min_wrapping_ttl = "abc"\n}\n',
        'failed to parse policy: error parsing min_wrapping_ttl: time: invalid duration "abc"',
      ],
      [
        'path "x/*" {\n  capabilities = ["read"]\n  min_wrapping_ttl = "2m"\n  max_wrapping_ttl = "1m"\n}\n',
        'failed to parse policy: max_wrapping_ttl cannot be less than min_wrapping_ttl',
      ],
    ]
    for (const [policy, message] of cases) {
      const res = await raw(vault, 'PUT', `sys/policies/acl/${name}`, { body: { policy } })
      expect([res.status, res.json.errors]).toEqual([400, [message]])
    }
    expect((await raw(vault, 'GET', `sys/policies/acl/${name}`)).status).toBe(404)
  })
})
