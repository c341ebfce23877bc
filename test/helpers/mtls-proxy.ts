/**
 * @module test/helpers/mtls-proxy: tests that play the TLS-terminating proxy of MTLS_MODE=header
 * on loopback: the settings of a bridge that believes it, and the headers it sends.
 */

/** The proxy secret of these tests (never a value the project ships). */
export const TEST_PROXY_SECRET = 'test-proxy-secret-0123456789abcdef-0123'

/** A bridge that believes a TLS proxy at `proxies` (loopback by default) with the test secret. */
export const proxyEnv = (proxies = '127.0.0.1/32,::1/128'): Record<string, string> => ({
  AUTH_MTLS_ENABLED: 'true',
  MTLS_MODE: 'header',
  MTLS_TRUSTED_PROXIES: proxies,
  MTLS_PROXY_SECRET: TEST_PROXY_SECRET,
})

/** What that proxy sends for a client certificate it verified, with subject `dn` (RFC 4514). */
export const proxyHeaders = (dn: string): Record<string, string> => ({
  'x-ssl-client-s-dn': dn,
  'x-ssl-client-verify': 'SUCCESS',
  'x-mtls-proxy-secret': TEST_PROXY_SECRET,
})
