/**
 * @module test/helpers/stdio-pipe: `vault-mcp-bridge stdio` in this process, wired to an MCP
 * client by two pipes that stand in for the process's stdin and stdout (every line the command
 * writes to its stdout is kept, so that tests can check it carries JSON-RPC only); and the raw
 * messages of a minimal stdio session.
 */
import { PassThrough } from 'node:stream'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import type { StdioStreams } from '../../src/bridge.js'

export interface StdioPipe {
  /** What the command gets as its stdin and stdout. */
  streams: StdioStreams
  /** The client's side: newline-delimited JSON-RPC, as the SDK's stdio client speaks it. */
  transport: Transport
  /** Every line the command wrote to its stdout, as written. */
  stdoutLines: string[]
}

/** A pipe pair; closing the transport ends the command's stdin, as a client that exits does. */
export function stdioPipe(): StdioPipe {
  const stdin = new PassThrough()
  const stdout = new PassThrough()
  const stdoutLines: string[] = []
  let pending = ''
  const transport: Transport = {
    async start() {
      stdout.setEncoding('utf8')
      stdout.on('data', (chunk: string) => {
        pending += chunk
        for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
          const line = pending.slice(0, nl)
          pending = pending.slice(nl + 1)
          stdoutLines.push(line)
          let message: JSONRPCMessage
          try {
            message = JSON.parse(line) as JSONRPCMessage
          } catch (err) {
            transport.onerror?.(err as Error)
            continue
          }
          transport.onmessage?.(message)
        }
      })
    },
    async send(message) {
      stdin.write(`${JSON.stringify(message)}\n`)
    },
    async close() {
      stdin.end()
      transport.onclose?.()
    },
  }
  return { streams: { stdin, stdout }, transport, stdoutLines }
}

/** A 2025 `initialize` request (id 1), as a raw message. */
export const INITIALIZE_2025 = {
  jsonrpc: '2.0' as const,
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  },
}

/**
 * What a minimal client sends on stdio, as raw JSON-RPC: initialize (id 1), initialized, and one
 * write_secret call (id 2) of `path` with `data`.
 */
export function rawWriteSession(path: string, data: Record<string, string>): JSONRPCMessage[] {
  return [
    INITIALIZE_2025,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'write_secret', arguments: { path, data } },
    },
  ]
}
