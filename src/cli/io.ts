/** @module cli/io: where a command writes. In stdio mode stdout carries MCP messages only. */

/** A command's output: tests pass their own, the entry point the process's streams. */
export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

/** The process's stdout and stderr. */
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
}
