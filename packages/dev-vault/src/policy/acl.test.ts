/** @module dev-vault/policy/acl.test: policy parsing and ACL evaluation (reference §6.2, §6.3). */
import { describe, expect, it } from 'vitest'
import { createAcl } from './acl.js'
import { parsePolicy, PolicyParseError } from './policy-document.js'

const acl = (...docs: string[]) => createAcl(docs.map((d, i) => parsePolicy(`p${i}`, d)))

describe('parsePolicy', () => {
  it('normalises paths: leading / stripped, trailing * marks a prefix, + marks segments', () => {
    const p = parsePolicy(
      'x',
      `# comment
       path "/secret/data/*" { capabilities = ["read"] }
       // another
       path "secret/+/db" { capabilities = ["list"] }
       /* block */
       path "a/+/*" { capabilities = ["read", "deny"] }`,
    )
    expect(p.rules.map((r) => [r.path, r.isPrefix, r.hasSegmentWildcards])).toEqual([
      ['secret/data/', true, false],
      ['secret/+/db', false, true],
      ['a/+/*', false, true],
    ])
    expect([...(p.rules[2]?.capabilities ?? [])]).toEqual(['deny'])
  })

  it('accepts parameter keys, legacy policy values and JSON documents', () => {
    const hcl = parsePolicy(
      'x',
      `path "a" {
         capabilities = ["create"]
         allowed_parameters = { "foo" = [], "bar" = ["zip", "zap"] }
         denied_parameters = { "baz" = [] }
         required_parameters = ["bar"]
       }
       path "b" { policy = "write" }`,
    )
    expect(hcl.rules[0]?.allowedParameters).toEqual({ foo: [], bar: ['zip', 'zap'] })
    expect(hcl.rules[0]?.requiredParameters).toEqual(['bar'])
    expect([...(hcl.rules[1]?.capabilities ?? [])].sort()).toEqual(
      ['create', 'delete', 'list', 'read', 'update'].sort(),
    )
    const json = parsePolicy('j', '{"path":{"k/*":{"capabilities":["list"]}}}')
    expect(json.rules[0]?.path).toBe('k/')
  })

  it('reads heredoc strings', () => {
    const p = parsePolicy(
      'x',
      'path "a" {\n  comment = <<EOT\nfree text\nEOT\n  capabilities = ["read"]\n}\n',
    )
    expect([...(p.rules[0]?.capabilities ?? [])]).toEqual(['read'])
    expect(() => parsePolicy('x', 'path "a" {\n  comment = <<EOT\nx\nEOT\n  bad = 1\n}')).toThrow(
      'invalid key "bad" on line 5',
    )
  })

  it.each([
    ['path "a" { capabilities = ["fly"] }', 'path "a": invalid capability "fly"'],
    [
      'path "a/+*" { capabilities = ["read"] }',
      `path "a/+*": invalid use of wildcards ('+*' is forbidden)`,
    ],
    ['pth "a" { capabilities = ["read"] }', 'invalid key "pth" on line 1'],
    ['path "a" { colour = "red" }', 'path "a": invalid key "colour" on line 1'],
    ['path "a" { capabilities = ["read"', 'At 1:'],
    ['path "a" {', 'At 1:'],
  ])('refuses %s', (doc, message) => {
    expect(() => parsePolicy('x', doc)).toThrow(PolicyParseError)
    expect(() => parsePolicy('x', doc)).toThrow(message)
  })
})

describe('createAcl', () => {
  it('root allows everything, including sudo', () => {
    expect(
      createAcl([{ name: 'root', raw: '', rules: [] }]).allows('sys/auth/x', 'update', true),
    ).toBe(true)
  })

  it('denies without a matching rule', () => {
    expect(acl('path "a" { capabilities = ["read"] }').allows('b', 'read', false)).toBe(false)
  })

  it('prefers an exact rule over any glob', () => {
    const a = acl(
      'path "s/*" { capabilities = ["deny"] }',
      'path "s/app" { capabilities = ["read"] }',
    )
    expect(a.allows('s/app', 'read', false)).toBe(true)
    expect(a.allows('s/other', 'read', false)).toBe(false)
  })

  it('merges the same pattern across policies; deny wins there', () => {
    const merged = acl(
      'path "s/*" { capabilities = ["read"] }',
      'path "s/*" { capabilities = ["update"] }',
    )
    expect(merged.allows('s/x', 'read', false)).toBe(true)
    expect(merged.allows('s/x', 'update', false)).toBe(true)
    const denied = acl(
      'path "s/*" { capabilities = ["read"] }',
      'path "s/*" { capabilities = ["deny"] }',
    )
    expect(denied.allows('s/x', 'read', false)).toBe(false)
  })

  it('uses the longest prefix', () => {
    const a = acl(
      'path "s/*" { capabilities = ["read"] }\npath "s/private/*" { capabilities = ["deny"] }',
    )
    expect(a.allows('s/public', 'read', false)).toBe(true)
    expect(a.allows('s/private/k', 'read', false)).toBe(false)
  })

  it('matches + as exactly one segment and a/+/* as a prefix', () => {
    const a = acl(
      'path "s/+/db" { capabilities = ["read"] }\npath "t/+/*" { capabilities = ["list"] }',
    )
    expect(a.allows('s/team/db', 'read', false)).toBe(true)
    expect(a.allows('s/a/b/db', 'read', false)).toBe(false)
    expect(a.allows('t/x/y/z', 'list', false)).toBe(true)
    expect(a.allows('t/x', 'list', false)).toBe(false)
  })

  it('orders non-exact candidates by the position of the first wildcard', () => {
    // "s/+/x" (first wildcard at 2) loses against "s/a/*" (glob at 4).
    const a = acl(
      'path "s/+/x" { capabilities = ["deny"] }\npath "s/a/*" { capabilities = ["read"] }',
    )
    expect(a.allows('s/a/x', 'read', false)).toBe(true)
    // With the wildcard later, the + rule wins.
    const b = acl(
      'path "s/a/+" { capabilities = ["deny"] }\npath "s/*" { capabilities = ["read"] }',
    )
    expect(b.allows('s/a/x', 'read', false)).toBe(false)
  })

  it('falls back to the path without its trailing slash for list', () => {
    const exact = acl('path "s/metadata/dir" { capabilities = ["list"] }')
    expect(exact.allows('s/metadata/dir/', 'list', false)).toBe(true)
    expect(exact.allows('s/metadata/dir/', 'read', false)).toBe(false)
    const glob = acl('path "s/metadata/dir*" { capabilities = ["list"] }')
    expect(glob.allows('s/metadata/dir/', 'list', false)).toBe(true)
  })

  it('needs sudo on root-protected paths', () => {
    const plain = acl('path "sys/auth/*" { capabilities = ["update"] }')
    expect(plain.allows('sys/auth/x', 'update', true)).toBe(false)
    const sudo = acl('path "sys/auth/*" { capabilities = ["update", "sudo"] }')
    expect(sudo.allows('sys/auth/x', 'update', true)).toBe(true)
  })

  it('keeps create, update and patch apart', () => {
    const a = acl('path "k" { capabilities = ["create"] }')
    expect(a.allows('k', 'create', false)).toBe(true)
    expect(a.allows('k', 'update', false)).toBe(false)
    expect(a.allows('k', 'patch', false)).toBe(false)
  })

  it('enforces required, allowed and denied parameters on writes and reads', () => {
    const a = acl(`path "k" {
      capabilities = ["create", "update", "read", "delete"]
      required_parameters = ["name"]
      allowed_parameters = { "name" = ["app-*"], "size" = [] }
      denied_parameters = { "size" = [0] }
    }`)
    expect(a.allows('k', 'update', false, { name: 'app-1', size: 3 })).toBe(true)
    expect(a.allows('k', 'update', false, { size: 3 })).toBe(false)
    expect(a.allows('k', 'update', false, { name: 'web-1' })).toBe(false)
    expect(a.allows('k', 'update', false, { name: 'app-1', other: 1 })).toBe(false)
    expect(a.allows('k', 'update', false, { name: 'app-1', size: 0 })).toBe(false)
    expect(a.allows('k', 'delete', false, {})).toBe(true)
  })

  it('merges parameters of the same pattern: an empty list allows any value', () => {
    const a = acl(
      'path "k" { capabilities = ["update"] \n allowed_parameters = { "a" = ["x"] } }',
      'path "k" { capabilities = ["update"] \n allowed_parameters = { "a" = [], "b" = ["y"] } }',
    )
    expect(a.allows('k', 'update', false, { a: 'anything', b: 'y' })).toBe(true)
    expect(a.allows('k', 'update', false, { b: 'z' })).toBe(false)
  })

  it('"*" in denied_parameters refuses any data; "*" alone in allowed allows any', () => {
    const denyAll = acl(
      'path "k" { capabilities = ["update"] \n denied_parameters = { "*" = [] } }',
    )
    expect(denyAll.allows('k', 'update', false, { a: 1 })).toBe(false)
    expect(denyAll.allows('k', 'update', false, {})).toBe(true)
    const allowAll = acl(
      'path "k" { capabilities = ["update"] \n allowed_parameters = { "*" = [] } }',
    )
    expect(allowAll.allows('k', 'update', false, { a: 1, b: 2 })).toBe(true)
  })

  it('bounds wrap TTLs: a max or min demands X-Vault-Wrap-TTL, and a TTL within it', () => {
    const max = acl('path "k" { capabilities = ["read"] \n max_wrapping_ttl = "90s" }')
    expect(max.allows('k', 'read', false, {}, undefined)).toBe(false)
    expect(max.allows('k', 'read', false, {}, 91)).toBe(false)
    expect(max.allows('k', 'read', false, {}, 90)).toBe(true)
    // As in Vault, a header of 0 is present: it passes a max-only bound (and is not wrapped).
    expect(max.allows('k', 'read', false, {}, 0)).toBe(true)
    const min = acl('path "k" { capabilities = ["read"] \n min_wrapping_ttl = 60 }')
    expect(min.allows('k', 'read', false, {}, undefined)).toBe(false)
    expect(min.allows('k', 'read', false, {}, 0)).toBe(false)
    expect(min.allows('k', 'read', false, {}, 59.5)).toBe(false)
    expect(min.allows('k', 'read', false, {}, 60)).toBe(true)
  })

  it('merges wrap TTL bounds of the same pattern to the lesser of each; max < min denies', () => {
    const merged = acl(
      'path "k" { capabilities = ["read"] \n min_wrapping_ttl = "2m" \n max_wrapping_ttl = "10m" }',
      'path "k" { capabilities = ["read"] \n max_wrapping_ttl = "5m" }',
    )
    expect(merged.allows('k', 'read', false, {}, 400)).toBe(false)
    expect(merged.allows('k', 'read', false, {}, 200)).toBe(true)
    expect(merged.allows('k', 'read', false, {}, 100)).toBe(false)
    const crossed = acl(
      'path "k" { capabilities = ["read"] \n min_wrapping_ttl = "5m" }',
      'path "k" { capabilities = ["read"] \n max_wrapping_ttl = "1m" }',
    )
    for (const ttl of [30, 60, 300, 600])
      expect(crossed.allows('k', 'read', false, {}, ttl)).toBe(false)
  })

  it('refuses unparsable wrap TTL bounds and a max below the min', () => {
    expect(() => parsePolicy('x', 'path "k" { min_wrapping_ttl = "soon" }')).toThrow(
      'error parsing min_wrapping_ttl: time: invalid duration "soon"',
    )
    expect(() =>
      parsePolicy('x', 'path "k" { min_wrapping_ttl = "2m" \n max_wrapping_ttl = "1m" }'),
    ).toThrow(new PolicyParseError('max_wrapping_ttl cannot be less than min_wrapping_ttl'))
  })

  it('lists capabilities per path', () => {
    const a = acl('path "k/*" { capabilities = ["update", "read"] }')
    expect(a.capabilities('k/x')).toEqual(['read', 'update'])
    expect(a.capabilities('other')).toEqual(['deny'])
  })
})
