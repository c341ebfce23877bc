/**
 * @module the shipped Prometheus alert rules (deploy/prometheus/): promtool checks their syntax
 * and PromQL and runs alert-rules.promtool-test.yaml (each alert fires on the series it is meant
 * for, and not below its threshold); every series they use exists in the bridge's metrics.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { createMetrics } from '../../src/observability/metrics.js'
import { installed, suiteRuns } from '../helpers/external-tools.js'

const root = join(import.meta.dirname, '..', '..')
const rulesFile = join('deploy', 'prometheus', 'vault-mcp-bridge-alerts.yaml')
const unitTests = join('test', 'integration', 'alert-rules.promtool-test.yaml')

// As the Redis and nginx tests: skipped only on a developer machine without promtool; in CI
// (scripts/ci/install-promtool.sh installs it) a missing promtool fails instead.
const runPromtool = suiteRuns(
  'promtool checks',
  installed('promtool'),
  'run scripts/ci/install-promtool.sh',
)

interface Rule {
  alert: string
  expr: string
  labels: { severity: string }
  annotations: { summary: string; description: string }
}
const rules = (
  parse(readFileSync(join(root, rulesFile), 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules)

const promtool = (...args: string[]) =>
  spawnSync('promtool', args, { cwd: root, encoding: 'utf8', timeout: 60_000 })

describe('deploy/prometheus alert rules', () => {
  it.runIf(runPromtool)('pass promtool check rules', () => {
    const r = promtool('check', 'rules', rulesFile)
    expect(r.stdout + r.stderr).toContain(`SUCCESS: ${rules.length} rules found`)
    expect(r.status).toBe(0)
  })

  it.runIf(runPromtool)('fire as promtool test rules expects, and only then', () => {
    const r = promtool('test', 'rules', unitTests)
    expect(r.stdout + r.stderr).toContain('SUCCESS')
    expect(r.status).toBe(0)
  })

  it('every alert is covered by a promtool test and says what it means', () => {
    const tests = parse(readFileSync(join(root, unitTests), 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[]
    }
    const fired = new Set(
      tests.tests.flatMap((t) =>
        t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      ),
    )
    expect(rules.length).toBeGreaterThanOrEqual(10)
    for (const rule of rules) {
      expect(fired, rule.alert).toContain(rule.alert)
      expect(['critical', 'warning', 'info']).toContain(rule.labels.severity)
      expect(rule.annotations.summary).toBeTruthy()
      expect(rule.annotations.description).toBeTruthy()
    }
  })

  it('use only series the bridge exports', async () => {
    const text = await createMetrics({ processMetrics: true }).render()
    const exported = new Set<string>()
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      exported.add(name!)
      if (type === 'histogram')
        for (const s of ['_bucket', '_sum', '_count']) exported.add(name! + s)
    }
    const used = new Set(rules.flatMap((r) => r.expr.match(/\bvault_mcp_bridge_\w+/g) ?? []))
    expect(used.size).toBeGreaterThanOrEqual(9)
    for (const name of used) expect(exported, name).toContain(name)
  })
})
