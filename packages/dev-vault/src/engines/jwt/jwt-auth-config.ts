/** @module dev-vault/engines/jwt/jwt-auth-config: JWT auth `config`, checked at write time, and key sources. */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto'
import { createLocalJWKSet, type JSONWebKeySet } from 'jose'
import { VaultHttpError, type EngineResponse } from '../../routing/backend.js'
import { fetchJson } from './jwt-auth-fetch.js'
import { decodeFields, type FieldSchema } from '../field-schema.js'

/** The stored `jwtConfig`. */
export interface JwtConfig {
  oidcDiscoveryUrl: string
  oidcDiscoveryCaPem: string
  oidcClientId: string
  oidcClientSecret: string
  oidcResponseMode: string
  oidcResponseTypes: string[]
  jwksUrl: string
  jwksCaPem: string
  defaultRole: string
  jwtValidationPubkeys: string[]
  jwtSupportedAlgs: string[]
  boundIssuer: string
  providerConfig: Record<string, unknown>
  namespaceInState: boolean
  unsupportedCriticalCertExtensions: string[]
}

/** Algorithms `cap/jwt` supports (and the default list when none is configured). */
export const SUPPORTED_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
]

const configSchema: FieldSchema = {
  oidc_discovery_url: 'string',
  oidc_discovery_ca_pem: 'string',
  oidc_client_id: 'string',
  oidc_client_secret: 'string',
  oidc_response_mode: 'string',
  oidc_response_types: 'commaStringSlice',
  jwks_url: 'string',
  jwks_ca_pem: 'string',
  jwks_pairs: 'slice',
  default_role: 'string',
  jwt_validation_pubkeys: 'commaStringSlice',
  jwt_supported_algs: 'commaStringSlice',
  bound_issuer: 'string',
  provider_config: 'map',
  namespace_in_state: 'bool',
  unsupported_critical_cert_extensions: 'commaStringSlice',
}

const fail = (message: string): never => {
  throw new VaultHttpError(400, [message])
}

/** Whether `pem` holds at least one parsable certificate. */
function validCaPem(pem: string): boolean {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  if (blocks.length === 0) return false
  try {
    for (const b of blocks) new X509Certificate(b)
    return true
  } catch {
    return false
  }
}

/** Fetches and parses a JWKS; throws when it is not a usable key set. */
export async function loadJwks(url: string, caPem: string): Promise<JSONWebKeySet> {
  const body = await fetchJson(url, caPem)
  const keys = (body as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys)) throw new Error('not a JWKS')
  const jwks = body as JSONWebKeySet
  createLocalJWKSet(jwks)
  return jwks
}

/** go-oidc's discovery: the document's `issuer` must equal the configured URL. */
export async function discoverJwksUri(issuer: string, caPem: string): Promise<string> {
  const wellKnown = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
  const doc = (await fetchJson(wellKnown, caPem)) as { issuer?: unknown; jwks_uri?: unknown }
  if (doc?.issuer !== issuer) {
    throw new Error('oidc: issuer did not match the issuer returned by provider')
  }
  if (typeof doc.jwks_uri !== 'string' || doc.jwks_uri === '') throw new Error('no jwks_uri')
  return doc.jwks_uri
}

/**
 * `POST config`: exactly one key source, checked now (the JWKS or discovery URL is fetched,
 * PEM keys are parsed), as the Vault plugin does. Nothing is stored on failure.
 */
export async function writeConfig(data: Record<string, unknown>): Promise<JwtConfig> {
  const f = decodeFields(data, configSchema)
  const config: JwtConfig = {
    oidcDiscoveryUrl: f.str('oidc_discovery_url'),
    oidcDiscoveryCaPem: f.str('oidc_discovery_ca_pem'),
    oidcClientId: f.str('oidc_client_id'),
    oidcClientSecret: f.str('oidc_client_secret'),
    oidcResponseMode: f.str('oidc_response_mode'),
    oidcResponseTypes: f.strings('oidc_response_types'),
    jwksUrl: f.str('jwks_url'),
    jwksCaPem: f.str('jwks_ca_pem'),
    defaultRole: f.str('default_role').toLowerCase(),
    jwtValidationPubkeys: f.strings('jwt_validation_pubkeys'),
    jwtSupportedAlgs: f.strings('jwt_supported_algs'),
    boundIssuer: f.str('bound_issuer'),
    providerConfig: f.map('provider_config'),
    namespaceInState: f.has('namespace_in_state') ? f.bool('namespace_in_state') : true,
    unsupportedCriticalCertExtensions: f.strings('unsupported_critical_cert_extensions'),
  }
  const pairs = f.has('jwks_pairs') ? (f.raw('jwks_pairs') as unknown[]) : []
  const methods =
    Number(config.oidcDiscoveryUrl !== '') +
    Number(config.jwtValidationPubkeys.length > 0) +
    Number(config.jwksUrl !== '') +
    Number(pairs.length > 0)
  if (methods !== 1) {
    fail(
      "exactly one of 'jwt_validation_pubkeys', 'jwks_url', 'jwks_pairs' or 'oidc_discovery_url' must be set",
    )
  }
  if ((config.oidcClientId !== '') !== (config.oidcClientSecret !== '')) {
    fail("both 'oidc_client_id' and 'oidc_client_secret' must be set for OIDC")
  }
  if (config.oidcDiscoveryUrl !== '') {
    if (config.oidcDiscoveryCaPem !== '' && !validCaPem(config.oidcDiscoveryCaPem)) {
      fail('error checking oidc discovery URL')
    }
    // Like cap's NewOIDCDiscoveryKeySet: only the discovery document is fetched now.
    try {
      await discoverJwksUri(config.oidcDiscoveryUrl, config.oidcDiscoveryCaPem)
    } catch {
      fail('error checking oidc discovery URL')
    }
  } else if (config.oidcClientId !== '') {
    fail("'oidc_discovery_url' must be set for OIDC")
  } else if (pairs.length > 0) {
    fail('jwks_pairs is not supported by the dev vault; use jwks_url')
  } else if (config.jwksUrl !== '') {
    if (config.jwksCaPem !== '' && !validCaPem(config.jwksCaPem)) fail('error checking jwks_ca_pem')
    try {
      await loadJwks(config.jwksUrl, config.jwksCaPem)
    } catch {
      fail(`error checking jwks URL ${config.jwksUrl}`)
    }
  } else {
    for (const pem of config.jwtValidationPubkeys) {
      try {
        createPublicKey(pem)
      } catch {
        fail('error parsing public key: data does not contain any valid RSA or ECDSA public keys')
      }
    }
  }
  const badAlg = config.jwtSupportedAlgs.find((a) => !SUPPORTED_ALGS.includes(a))
  if (badAlg !== undefined) {
    fail(`invalid jwt_supported_algs: unsupported signing algorithm ${JSON.stringify(badAlg)}`)
  }
  if (config.oidcResponseTypes.some((t) => t !== 'code' && t !== 'id_token')) {
    fail(
      `invalid response_types [${config.oidcResponseTypes.join(' ')}]. 'code' and 'id_token' are allowed`,
    )
  }
  if (config.oidcResponseMode === '' || config.oidcResponseMode === 'query') {
    if (config.oidcResponseTypes.includes('id_token')) {
      fail('query response_mode may not be used with an id_token response_type')
    }
  } else if (config.oidcResponseMode !== 'form_post') {
    fail(`invalid response_mode: ${JSON.stringify(config.oidcResponseMode)}`)
  }
  return config
}

/** `GET config`: every field, unset ones as `""` / `[]` (never the client secret). */
export function configBody(c: JwtConfig): EngineResponse {
  return {
    kind: 'envelope',
    data: {
      bound_issuer: c.boundIssuer,
      default_role: c.defaultRole,
      jwks_ca_pem: c.jwksCaPem,
      jwks_pairs: [],
      jwks_url: c.jwksUrl,
      jwt_supported_algs: [...c.jwtSupportedAlgs],
      jwt_validation_pubkeys: [...c.jwtValidationPubkeys],
      namespace_in_state: c.namespaceInState,
      oidc_client_id: c.oidcClientId,
      oidc_discovery_ca_pem: c.oidcDiscoveryCaPem,
      oidc_discovery_url: c.oidcDiscoveryUrl,
      oidc_response_mode: c.oidcResponseMode,
      oidc_response_types: [...c.oidcResponseTypes],
      provider_config: { ...c.providerConfig },
      unsupported_critical_cert_extensions: [...c.unsupportedCriticalCertExtensions],
    },
  }
}

/** Where login finds verification keys: PEM keys, or a JWKS fetched (and re-fetched) by URL. */
export interface KeySource {
  /** Static keys, or the current JWKS; `refresh` re-fetches a remote set. */
  keys(refresh: boolean): Promise<KeyObject[] | JSONWebKeySet>
}

/** The key source for `config` (remote sets are fetched lazily and cached). */
export function keySourceFor(config: JwtConfig): KeySource {
  if (config.jwtValidationPubkeys.length > 0) {
    const parsed = config.jwtValidationPubkeys.map((pem) => createPublicKey(pem))
    return { keys: async () => parsed }
  }
  let cached: JSONWebKeySet | undefined
  let jwksUri = config.jwksUrl
  const ca = config.jwksUrl !== '' ? config.jwksCaPem : config.oidcDiscoveryCaPem
  return {
    async keys(refresh) {
      if (cached && !refresh) return cached
      if (jwksUri === '') jwksUri = await discoverJwksUri(config.oidcDiscoveryUrl, ca)
      cached = await loadJwks(jwksUri, ca)
      return cached
    },
  }
}
