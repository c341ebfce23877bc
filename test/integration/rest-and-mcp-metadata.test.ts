/**
 * @module update_secret_metadata over REST (`PUT /secrets/{path}:metadata`) and MCP: it sets
 * custom_metadata, max_versions, cas_required and delete_version_after of an existing secret,
 * answers bad input (ours and Vault's own validation) with 400 and changes nothing, stays in the
 * agent's namespace, needs the write scope, and is audited without values.
 */
import { describe, expect, it } from 'vitest'
import { agentKvPrefix } from '../../src/core/paths.js'
import { ADAPTERS, useAdapters } from '../helpers/both-adapters.js'
import { startVaultStack } from '../helpers/vault-stack.js'

const both = useAdapters(startVaultStack)

/** What Vault itself holds as the key's metadata (root token). */
async function vaultMetadata(agent: string, path: string) {
  const key = `${agentKvPrefix(both.stack.prefix, agent)}${path}`
  const res = (await both.stack.root.request({
    path: `/${both.stack.config.vault.kvMount}/metadata/${key}`,
    method: 'GET',
  })) as { data: Record<string, unknown> }
  return res.data
}

describe.each(ADAPTERS)('update_secret_metadata over %s', (adapter) => {
  it('sets every setting of an existing secret and answers with its metadata', async () => {
    const agent = both.stack.agent('meta')
    const caller = both.as(adapter, agent)
    expect((await caller.call('write_secret', { path: 'app/db', data: { a: 1 } })).ok).toBe(true)
    const r = await caller.call('update_secret_metadata', {
      path: 'app/db',
      custom_metadata: { owner: 'team-a', env: 'prod' },
      max_versions: 3,
      cas_required: true,
      delete_version_after: '720h',
    })
    expect(r).toMatchObject({
      ok: true,
      body: {
        path: 'app/db',
        current_version: 1,
        custom_metadata: { owner: 'team-a', env: 'prod' },
        max_versions: 3,
        cas_required: true,
        delete_version_after: '720h0m0s',
      },
    })
    expect(await vaultMetadata(agent, 'app/db')).toMatchObject({
      custom_metadata: { owner: 'team-a', env: 'prod' },
      max_versions: 3,
      cas_required: true,
    })
    // Reads show the labels with every version.
    const read = await caller.call('read_secret', { path: 'app/db' })
    expect(read.ok && read.body.metadata.custom_metadata).toEqual({ owner: 'team-a', env: 'prod' })
    // cas_required is now in force: a write without cas is refused, with cas it passes.
    expect(await caller.call('write_secret', { path: 'app/db', data: { a: 2 } })).toMatchObject({
      ok: false,
      code: 'INVALID_INPUT',
    })
    expect((await caller.call('write_secret', { path: 'app/db', data: { a: 2 }, cas: 1 })).ok).toBe(
      true,
    )
  })

  it('keeps what it is not given, and replaces custom_metadata as a whole', async () => {
    const agent = both.stack.agent('part')
    const caller = both.as(adapter, agent)
    await caller.call('write_secret', { path: 's', data: { a: 1 } })
    await caller.call('update_secret_metadata', {
      path: 's',
      custom_metadata: { a: '1', b: '2' },
      max_versions: 5,
    })
    const r = await caller.call('update_secret_metadata', {
      path: 's',
      custom_metadata: { c: '3' },
    })
    expect(r).toMatchObject({
      ok: true,
      body: { custom_metadata: { c: '3' }, max_versions: 5, cas_required: false },
    })
    const off = await caller.call('update_secret_metadata', {
      path: 's',
      delete_version_after: '0s',
      cas_required: false,
    })
    expect(off.ok && off.body.delete_version_after).toBe('0s')
  })

  it('prunes beyond max_versions, and a pruned version is VERSION_NOT_FOUND', async () => {
    const agent = both.stack.agent('prune')
    const caller = both.as(adapter, agent)
    await caller.call('write_secret', { path: 'p', data: { n: 1 } })
    await caller.call('update_secret_metadata', { path: 'p', max_versions: 2 })
    for (const n of [2, 3]) await caller.call('write_secret', { path: 'p', data: { n } })
    expect(await caller.call('read_secret', { path: 'p', version: 1 })).toMatchObject({
      ok: false,
      code: 'VERSION_NOT_FOUND',
    })
    const two = await caller.call('read_secret', { path: 'p', version: 2 })
    expect(two.ok && two.body.data).toEqual({ n: 2 })
  })

  it.each([
    [{}, 'input'],
    [{ custom_metadata: { n: 1 } }, 'custom_metadata.n'],
    [{ custom_metadata: 'x' }, 'custom_metadata'],
    [{ custom_metadata: { '': 'x' } }, 'custom_metadata'],
    [{ custom_metadata: { k: 'v'.repeat(513) } }, 'custom_metadata.k'],
    [
      { custom_metadata: Object.fromEntries([...Array(65)].map((_, i) => [`k${i}`, 'v'])) },
      'custom_metadata',
    ],
    [{ max_versions: -1 }, 'max_versions'],
    [{ max_versions: 'lots' }, 'max_versions'],
    [{ cas_required: 'maybe' }, 'cas_required'],
    [{ delete_version_after: 'soon' }, 'delete_version_after'],
    [{ delete_version_after: '-1h' }, 'delete_version_after'],
    [{ owner: 'x' }, 'owner'],
  ])('refuses %j with INVALID_INPUT naming %s, changing nothing', async (bad, field) => {
    const agent = both.stack.agent('bad')
    const caller = both.as(adapter, agent)
    await caller.call('write_secret', { path: 'b', data: { a: 1 } })
    await caller.call('update_secret_metadata', { path: 'b', custom_metadata: { keep: 'me' } })
    const before = await vaultMetadata(agent, 'b')
    const r = await caller.call('update_secret_metadata', { path: 'b', ...bad })
    expect(r).toMatchObject({ ok: false, code: 'INVALID_INPUT' })
    expect(!r.ok && r.message).toContain(`${field}`)
    if (adapter === 'rest') expect(r.status).toBe(400)
    expect(await vaultMetadata(agent, 'b')).toEqual(before)
  })

  it.each([
    // Longer than 128 bytes, although 100 characters: only Vault counts bytes.
    ['a key of 200 bytes', { ['é'.repeat(100)]: 'v' }],
    ['an unprintable value', { k: 'bell\u0007' }],
  ])(
    "surfaces Vault's own validation (%s) as 400 INVALID_INPUT, changing nothing",
    async (_w, cm) => {
      const agent = both.stack.agent('vv')
      const caller = both.as(adapter, agent)
      await caller.call('write_secret', { path: 'v', data: { a: 1 } })
      const before = await vaultMetadata(agent, 'v')
      const r = await caller.call('update_secret_metadata', { path: 'v', custom_metadata: cm })
      expect(r).toMatchObject({ ok: false, code: 'INVALID_INPUT' })
      expect(!r.ok && r.message).toContain('custom_metadata')
      if (adapter === 'rest') expect(r.status).toBe(400)
      expect(await vaultMetadata(agent, 'v')).toEqual(before)
    },
  )

  it('answers SECRET_NOT_FOUND for a secret that does not exist, and creates nothing', async () => {
    const agent = both.stack.agent('absent')
    const caller = both.as(adapter, agent)
    const r = await caller.call('update_secret_metadata', { path: 'nope', max_versions: 3 })
    expect(r).toMatchObject({ ok: false, code: 'SECRET_NOT_FOUND' })
    expect((await caller.call('list_secrets', { recursive: true })).ok && true).toBe(true)
    const list = await caller.call('list_secrets', { recursive: true })
    expect(list.ok && list.body.keys).toEqual([])
  })

  it("never reaches another agent's secret", async () => {
    const owner = both.stack.agent('owner')
    const intruder = both.stack.agent('intruder')
    await both.as(adapter, owner).call('write_secret', { path: 'shared', data: { a: 1 } })
    await both.as(adapter, owner).call('update_secret_metadata', {
      path: 'shared',
      custom_metadata: { owner: 'me' },
    })
    const before = await vaultMetadata(owner, 'shared')
    const caller = both.as(adapter, intruder)
    // The same relative path is the intruder's own (absent) secret.
    expect(
      await caller.call('update_secret_metadata', { path: 'shared', cas_required: true }),
    ).toMatchObject({ ok: false, code: 'SECRET_NOT_FOUND' })
    for (const path of [
      `../${owner}/shared`,
      `x/../../${owner}/shared`,
      `%2e%2e/${owner}/shared`,
    ]) {
      expect(
        await caller.call('update_secret_metadata', { path, cas_required: true }),
      ).toMatchObject({ ok: false, code: 'INVALID_PATH' })
    }
    expect(await vaultMetadata(owner, 'shared')).toEqual(before)
  })

  it('needs the write scope', async () => {
    const agent = both.stack.agent('ro')
    await both.as(adapter, agent).call('write_secret', { path: 'r', data: { a: 1 } })
    const before = await vaultMetadata(agent, 'r')
    const r = await both
      .as(adapter, agent, ['read', 'list', 'delete'])
      .call('update_secret_metadata', { path: 'r', max_versions: 1 })
    expect(r).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    if (adapter === 'rest') expect(r.status).toBe(403)
    expect(await vaultMetadata(agent, 'r')).toEqual(before)
  })

  it('is audited with the path only, never the labels', async () => {
    const agent = both.stack.agent('audit')
    const caller = both.as(adapter, agent)
    await caller.call('write_secret', { path: 'au', data: { a: 1 } })
    await caller.call('update_secret_metadata', {
      path: 'au',
      custom_metadata: { label: 'value-not-for-audit' },
    })
    const events = both.stack.events.filter(
      (e) => e.agent === agent && e.operation === 'update_secret_metadata',
    )
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ target: 'au', outcome: 'ok' })
    expect(JSON.stringify(events)).not.toContain('value-not-for-audit')
  })
})
