/** @module auth/mtls-certificate tests: the agent from a verified handshake certificate, nothing else. */
import { describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.js'
import { createMtlsCertificateStrategy } from './mtls-certificate.js'
import type { ClientCertificate } from './strategy.js'

const strategy = createMtlsCertificateStrategy({ cnPrefix: 'CN=', scopes: ['read', 'list'] })
const req = new Request('http://x/', {
  headers: { 'x-ssl-client-s-dn': 'CN=agent_b', 'x-ssl-client-verify': 'SUCCESS' },
})
const cert = (verified: boolean, ...subject: [string, string][]): ClientCertificate => ({
  verified,
  subject: subject.map(([type, value]) => ({ type, value })),
})
const refusal = async (c: ClientCertificate) => {
  const err = await strategy
    .authenticate(req, { peerAddress: '::1', clientCertificate: c })
    .catch((e: unknown) => e)
  expect(err).toBeInstanceOf(AppError)
  expect((err as AppError).code).toBe('UNAUTHENTICATED')
  expect((err as AppError).details.tokenPresented).toBe(true)
}

describe('createMtlsCertificateStrategy', () => {
  it('takes the agent from the verified certificate, whatever the headers say', async () => {
    const c = cert(true, ['O', 'Example'], ['CN', 'agent_mtls'])
    expect(await strategy.authenticate(req, { peerAddress: '::1', clientCertificate: c })).toEqual({
      agent: 'agent_mtls',
      scopes: ['read', 'list'],
      method: 'mtls',
    })
  })

  it('has nothing to say without a certificate (headers alone are no credential)', async () => {
    expect(await strategy.authenticate(req, { peerAddress: '127.0.0.1' })).toBeNull()
  })

  it('refuses a certificate that did not verify, or has no single CN', async () => {
    await refusal(cert(false, ['CN', 'agent_mtls']))
    await refusal(cert(true, ['O', 'Example']))
    await refusal(cert(true, ['CN', 'a'], ['CN', 'b']))
    await refusal(cert(true, ['OU', 'x/CN=agent_b']))
  })
})
