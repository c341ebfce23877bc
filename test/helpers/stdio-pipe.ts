/**
 * @module test/helpers/stdio-pipe: `vault-mcp-bridge stdio` in this process, wired to an MCP
 * client by two pipes that stand in for the process's stdin and stdout. Every line the command
 * writes to its stdout is kept, so that tests can check it carries JSON-RPC only.
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
