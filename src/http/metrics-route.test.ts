/** @module http/metrics-route tests: /metrics on the app, on its own port, and the request metrics. */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { createMetrics } from '../observability/metrics.js'
import type { AppEnv } from './context.js'
import { httpMetrics, registerMetricsRoute, serveMetrics } from './metrics-route.js'

describe('metrics routes', () => {
  it('counts requests by route pattern (never the raw path) and serves them at /metrics', async () => {
    const metrics = createMetrics({ processMetrics: false })
    const app = new Hono<AppEnv>()
    app.use('*', httpMetrics(metrics))
    registerMetricsRoute(app, metrics)
    app.get('/secrets/*', (c) => c.json({}))
    await app.request('/secrets/very/private/name')
    await app.request('/nowhere')
    const res = await app.request('/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    expect(text).toContain('http_requests_total{method="GET",route="/secrets/*",status="200"} 1')
    expect(text).toContain('http_requests_total{method="GET",route="(unmatched)",status="404"} 1')
    expect(text).not.toContain('private')
  })

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
