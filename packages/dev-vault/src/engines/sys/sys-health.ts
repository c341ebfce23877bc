/** @module dev-vault/engines/sys/sys-health: `GET|HEAD sys/health`, answered outside the envelope (§1.10). */
import { randomBytes } from 'node:crypto'
import { errorAnswer, type HttpAnswer } from '../../http/envelope.js'
import { goJson, struct } from '../../encoding/go-json.js'
import { goUuid } from '../../routing/ids.js'

/** The Vault version the dev vault emulates (its API follows Vault 1.17+). */
export const EMULATED_VERSION = '1.17.0+devvault'

/** Health of an always-initialised, unsealed, active single node. */
export function createHealthRoute(now: () => number): (q: URLSearchParams) => HttpAnswer {
  const clusterName = `vault-cluster-${randomBytes(4).toString('hex')}`
  const clusterId = goUuid()
  return (q) => {
    let status = 200
    for (const name of [
      'activecode',
      'standbycode',
      'sealedcode',
      'uninitcode',
      'drsecondarycode',
      'performancestandbycode',
    ]) {
      const v = q.get(name)
      if (v === null) continue
      if (!/^-?\d+$/.test(v)) return errorAnswer(400)
      if (name === 'activecode') status = Number(v)
    }
    const standbyok = q.get('standbyok')
    if (
      standbyok !== null &&
      ![
        '1',
        't',
        'T',
        'TRUE',
        'true',
        'True',
        '0',
        'f',
        'F',
        'FALSE',
        'false',
        'False',
        '',
      ].includes(standbyok)
    ) {
      return errorAnswer(400, [`bad value for standbyok parameter: ${standbyok}`])
    }
    const body = struct({
      initialized: true,
      sealed: false,
      standby: false,
      performance_standby: false,
      replication_performance_mode: 'disabled',
      replication_dr_mode: 'disabled',
      server_time_utc: Math.floor(now() / 1000),
      version: EMULATED_VERSION,
      enterprise: false,
      cluster_name: clusterName,
      cluster_id: clusterId,
      echo_duration_ms: 0,
      clock_skew_ms: 0,
      replication_primary_canary_age_ms: 0,
    })
    return { status, body: goJson(body) }
  }
}
