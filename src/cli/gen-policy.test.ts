/** @module cli/gen-policy tests: flags, defaults, and refusals with exit code 2. */
import { describe, expect, it } from 'vitest'
import { renderAgentPolicy } from '../vault/admin/policy.js'
import { runGenPolicyCommand } from './gen-policy.js'

async function run(argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runGenPolicyCommand(argv, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
  })
  return { code, stdout, stderr }
}

describe('gen-policy', () => {
  it('prints the policy with the default mounts and prefix', async () => {
    const r = await run(['--agent', 'alice'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(
      renderAgentPolicy({
        agent: 'alice',
        mount: 'secret',
        prefix: 'mcp',
        transitMount: 'transit',
        policyPrefix: 'mcp-agent-',
      }),
    )
  })

  it('takes --mount, --prefix and --transit-mount', async () => {
    const r = await run([
      '--agent',
      'bob',
      '--mount',
      'kv',
      '--prefix',
      'p',
      '--transit-mount',
      't',
    ])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('path "kv/data/p/bob/*"')
    expect(r.stdout).toContain('path "t/encrypt/p--bob--*"')
    expect(r.stdout).not.toContain('secret/')
  })

  it.each([
    [[]],
    [['--agent']],
    [['--agent', 'a--b']],
    [['--agent', 'Alice']],
    [['--agent', '../x']],
    [['--agent', 'alice', '--mount', 'se"cret']],
    [['--agent', 'alice', '--prefix', 'a/../b']],
    [['--agent', 'alice', '--bogus']],
    [['--agent', 'alice', 'extra']],
  ])('refuses %j with exit code 2 and prints nothing on stdout', async (argv) => {
    const r = await run(argv)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('Usage:')
  })

  it('prints its usage with --help', async () => {
    const r = await run(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('--agent')
  })
})
