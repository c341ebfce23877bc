/** @module http/metrics-route: `GET /metrics` on the main app, or on its own port (the HTTP request metrics are counted by the edge, edge.ts). */
import { Hono } from 'hono'
import type { Metrics } from '../observability/metrics.js'
import type { AppEnv } from './context.js'
import { startHttpServer, type HttpServer } from './server.js'

/**
 * Adds `GET /metrics` (Prometheus text format). Security: it is public, like health checks, so
 * the metrics carry no agent ids, paths or key names (see `Metrics`); put it on METRICS_PORT to
 * keep it off the port that agents reach.
 */
export function registerMetricsRoute(
  app: Hono<AppEnv>,
  metrics: Pick<Metrics, 'render' | 'contentType'>,
  path = '/metrics',
): void {
  app.get(path, async (c) => {
    const body = await metrics.render()
    return c.body(body, 200, { 'Content-Type': metrics.contentType })
  })
}

/** The app of the metrics port (METRICS_PORT): only `GET /metrics`; every other path is 404. */
export function createMetricsApp(metrics: Pick<Metrics, 'render' | 'contentType'>): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  registerMetricsRoute(app, metrics)
  app.notFound((c) =>
    c.json({ error: { code: 'NOT_FOUND', message: 'Only GET /metrics is served here.' } }, 404),
  )
  return app
}

/**
 * Serves {@link createMetricsApp} on its own port.
 * @throws StartupError when the port cannot be bound.
 */
export async function serveMetrics(options: {
  metrics: Pick<Metrics, 'render' | 'contentType'>
  host: string
  port: number
}): Promise<HttpServer> {
  return startHttpServer({
    fetch: createMetricsApp(options.metrics).fetch,
    host: options.host,
    port: options.port,
    portVariable: 'METRICS_PORT',
  })
}
