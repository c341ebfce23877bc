/** @module cli/gen-jwt tests: tokens the bridge accepts, and usage errors with exit code 2. */
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { jwtVerify } from 'jose'
import { createJwtStrategy } from '../auth/jwt.js'
import { loadConfig } from '../config/load.js'
import { createLogger } from '../observability/logger.js'
import { runGenJwtCommand } from './gen-jwt.js'

const SECRET = 'gen-jwt-test-secret-of-32-bytes-or-more'
const logger = createLogger({ level: 'silent' })

async function run(argv: string[], env: Record<string, string> = { JWT_HS256_SECRET: SECRET }) {
  let out = ''
  let err = ''
  const code = await runGenJwtCommand(argv, env, {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
  })
  return { code, out, err }
}

describe('runGenJwtCommand', () => {
  it('prints an HS256 token the JWT strategy accepts, with the given scopes and ttl', async () => {
    const env = {
      JWT_HS256_SECRET: SECRET,
      JWT_ISSUER: 'https://iss.test',
      OAUTH_RESOURCE: 'https://b.test/mcp',
    }
    const { code, out, err } = await run(
      ['--sub', 'agent_jwt', '--scopes', 'read,write', '--ttl', '10m'],
      env,
    )
    expect(code).toBe(0)
    expect(err).toBe('')
    const token = out.trim()
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET))
    expect(payload.exp! - payload.iat!).toBe(600)
    expect(payload.aud).toBe('https://b.test/mcp')
    const strategy = createJwtStrategy(loadConfig(env).auth.jwt, {
      logger,
      resource: 'https://b.test/mcp',
    })
    const req = new Request('http://x/', { headers: { authorization: `Bearer ${token}` } })
    expect(await strategy.authenticate(req, { peerAddress: undefined })).toEqual({
      agent: 'agent_jwt',
      scopes: ['read', 'write'],
      method: 'jwt',
    })
    expect(out).not.toContain(SECRET)
  })

  it('signs RS256 with --key and puts --kid in the header', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const dir = mkdtempSync(join(tmpdir(), 'gen-jwt-'))
    const file = join(dir, 'private.pem')
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }))
    const { code, out } = await run(
      ['--alg', 'RS256', '--key', file, '--kid', 'k1', '--sub', 'a'],
      {},
    )
    expect(code).toBe(0)
    const { protectedHeader, payload } = await jwtVerify(out.trim(), publicKey)
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: 'k1' })
    expect(payload.sub).toBe('a')
    expect(payload.scopes).toBeUndefined()
  })

  it.each([
    [['--scopes', 'read'], { JWT_HS256_SECRET: SECRET }],
    [['--sub', '../x'], { JWT_HS256_SECRET: SECRET }],
    [['--sub', 'a', '--scopes', 'read,admin'], { JWT_HS256_SECRET: SECRET }],
    [['--sub', 'a', '--ttl', 'forever'], { JWT_HS256_SECRET: SECRET }],
    [['--sub', 'a', '--alg', 'none'], { JWT_HS256_SECRET: SECRET }],
    [['--sub', 'a'], {}],
    [['--sub', 'a', '--alg', 'RS256'], {}],
    [['--sub', 'a', '--alg', 'RS256', '--key', '/nonexistent.pem'], {}],
    [['--sub', 'a', '--bogus'], { JWT_HS256_SECRET: SECRET }],
  ])('refuses %j with exit code 2', async (argv, env) => {
    const { code, out, err } = await run(argv, env)
    expect(code).toBe(2)
    expect(out).toBe('')
    expect(err).toMatch(/^gen-jwt: /)
  })
})
