/**
 * @module test/helpers/doc-blocks: the fenced code blocks of a Markdown document, by the section
 * they are in, so that tests run or parse the examples as the documentation shows them.
 */

export interface CodeBlock {
  /** The info string (`sh`, `json`, ...). */
  lang: string
  body: string
}

/**
 * The fenced blocks under the heading `heading` (its whole section, up to the next heading of
 * the same or a higher level).
 * @throws Error when the heading is missing, so that a renamed section fails the test.
 */
export function blocksUnder(markdown: string, heading: string): CodeBlock[] {
  const lines = markdown.split('\n')
  const start = lines.findIndex((l) => l.replace(/^#+\s*/, '') === heading && l.startsWith('#'))
  if (start < 0) throw new Error(`no section "${heading}"`)
  const level = /^#+/.exec(lines[start]!)![0].length
  const blocks: CodeBlock[] = []
  let open: { lang: string; lines: string[] } | undefined
  for (const line of lines.slice(start + 1)) {
    if (!open && /^#+\s/.test(line) && /^#+/.exec(line)![0].length <= level) break
    const fence = /^```(\w*)\s*$/.exec(line)
    if (fence && !open) open = { lang: fence[1] ?? '', lines: [] }
    else if (fence && open) {
      blocks.push({ lang: open.lang, body: open.lines.join('\n') })
      open = undefined
    } else open?.lines.push(line)
  }
  return blocks
}

/**
 * The commands of a shell block: comment lines dropped, `\`-continued lines joined; variable
 * assignments (`I="..."`) stay commands of their own.
 */
export function shellCommands(block: string): string[] {
  const commands: string[] = []
  let current = ''
  for (const raw of block.split('\n')) {
    const line = raw.trim()
    if (current === '' && (line === '' || line.startsWith('#'))) continue
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1).trimEnd()} `
      continue
    }
    commands.push(current + line)
    current = ''
  }
  return commands
}
