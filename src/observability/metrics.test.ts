/** @module observability/metrics tests: every series the issue names, on a private registry. */
import { describe, expect, it } from 'vitest'
import { combineObservers, createMetrics } from './metrics.js'

describe('createMetrics', () => {
  it('exposes requests, latencies, Vault calls, limits, auth failures, child tokens and process metrics', async () => {
    const m = createMetrics()
    m.httpRequest('GET', '/secrets/*', 200, 0.02)
    m.httpRequest('GET', '/secrets/*', 429, 0.001)
    m.operationFinished({
      time: '2026-01-01T00:00:00Z',
      requestId: 'r',
      agent: 'alice',
      method: 'jwt',
      operation: 'encrypt',
      outcome: 'ok',
      durationMs: 30,
      vaultRequestIds: [],
    })
    m.vaultCall('kv/data', 200, 0.01)
    m.vaultCall('kv/data', 503, 0.2)
    m.vaultCall('transit/encrypt', 'network', 1)
    m.rateLimitRejected('agent')
    m.authFailure('api_key')
    m.childTokenMinted()
    m.childTokenRevokeFailed()
    const text = await m.render()
    const has = (s: string) => expect(text).toContain(s)
    has('vault_mcp_bridge_http_requests_total{method="GET",route="/secrets/*",status="429"} 1')
    has(
      'vault_mcp_bridge_http_request_duration_seconds_bucket{le="0.025",method="GET",route="/secrets/*"} 2',
    )
    has('vault_mcp_bridge_operations_total{operation="encrypt",auth_method="jwt",outcome="ok"} 1')
    has('vault_mcp_bridge_operation_duration_seconds_count{operation="encrypt"} 1')
    has('vault_mcp_bridge_vault_requests_total{op="kv/data",status="200"} 1')
    has('vault_mcp_bridge_vault_errors_total{op="kv/data",status="503"} 1')
    has('vault_mcp_bridge_vault_errors_total{op="transit/encrypt",status="network"} 1')
    has('vault_mcp_bridge_vault_request_duration_seconds_count{op="kv/data"} 2')
    has('vault_mcp_bridge_rate_limit_rejections_total{kind="agent"} 1')
    has('vault_mcp_bridge_rate_limit_rejections_total{kind="auth_failure"} 0')
    has('vault_mcp_bridge_auth_failures_total{method="api_key"} 1')
    has('vault_mcp_bridge_child_tokens_minted_total 1')
    has('vault_mcp_bridge_child_token_revoke_failures_total 1')
    has('vault_mcp_bridge_process_resident_memory_bytes')
    has('vault_mcp_bridge_nodejs_eventloop_lag_seconds')
    expect(text).not.toContain('alice')
    expect(text).not.toContain('vault_errors_total{op="kv/data",status="200"}')
    expect(m.contentType).toContain('text/plain')
  })

  it('keeps two instances apart', async () => {
    const a = createMetrics({ processMetrics: false })
    const b = createMetrics({ processMetrics: false })
    a.childTokenMinted()
    expect(await a.render()).toContain('vault_mcp_bridge_child_tokens_minted_total 1')
    expect(await b.render()).toContain('vault_mcp_bridge_child_tokens_minted_total 0')
  })
})

describe('combineObservers', () => {
  it('tells every observer, even when one throws', () => {
    const seen: string[] = []
    const combined = combineObservers(
      { operationFinished: () => seen.push('a') },
      {
        operationFinished: () => {
          throw new Error('broken')
        },
      },
      undefined,
      { operationFinished: () => seen.push('c') },
    )
    combined.operationFinished({} as never)
    expect(seen).toEqual(['a', 'c'])
  })
})
