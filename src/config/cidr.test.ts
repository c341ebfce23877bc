/** @module config/cidr tests: what MTLS_TRUSTED_PROXIES accepts, for config and auth alike. */
import { describe, expect, it } from 'vitest'
import { parseCidr } from './cidr.js'

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', { address: '10.0.0.0', prefix: 8, family: 'ipv4' }],
    ['127.0.0.1', { address: '127.0.0.1', prefix: 32, family: 'ipv4' }],
    ['::1/128', { address: '::1', prefix: 128, family: 'ipv6' }],
    ['fd00::', { address: 'fd00::', prefix: 128, family: 'ipv6' }],
    ['0.0.0.0/0', { address: '0.0.0.0', prefix: 0, family: 'ipv4' }],
  ])('%s is a CIDR', (text, cidr) => {
    expect(parseCidr(text)).toEqual(cidr)
  })

  it.each([
    '',
    'localhost',
    '10.0.0.0/33',
    '::1/129',
    '10.0.0.0/8/8',
    '10.0.0.0/',
    '10.0.0.0/x',
    '10.0.0.0/1e1',
    '300.1.1.1',
  ])('%j is not a CIDR', (text) => {
    expect(parseCidr(text)).toBeUndefined()
  })
})
