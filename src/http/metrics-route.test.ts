/** @module http/metrics-route tests: /metrics on its own port (the request metrics: edge.test.ts). */
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../observability/metrics.js'
import { serveMetrics } from './metrics-route.js'

describe('metrics routes', () => {
  it('serves /metrics alone on a separate port', async () => {
    const metrics = createMetrics({ processMetrics: false })
    metrics.childTokenMinted()
    const server = await serveMetrics({ metrics, host: '127.0.0.1', port: 0 })
    try {
      const res = await fetch(`${server.url}/metrics`)
      expect(res.status).toBe(200)
      expect(await res.text()).toContain('vault_mcp_bridge_child_tokens_minted_total 1')
      expect((await fetch(`${server.url}/whoami`)).status).toBe(404)
    } finally {
      await server.close(1000)
    }
  })
})
