/** @module dev-vault/policy/hcl-parser: the HCL subset Vault policies use (blocks, lists, maps, comments). */

/** A parsed HCL value; `line` marks where a key was written (for error messages). */
export type HclValue = string | number | boolean | HclValue[] | HclObject
export interface HclObject {
  [key: string]: HclValue
}

/** One `key = value` or `key "label" { ... }` item of a body, in source order. */
export interface HclItem {
  key: string
  labels: string[]
  value: HclValue
  line: number
}

/** A syntax error with HCL's `At line:col:` position. */
export class HclSyntaxError extends Error {
  override name = 'HclSyntaxError'
}

interface Token {
  kind: 'ident' | 'string' | 'number' | 'punct' | 'eof'
  text: string
  value?: string | number
  line: number
  col: number
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  let line = 1
  let lineStart = 0
  const fail = (msg: string): never => {
    throw new HclSyntaxError(`At ${line}:${i - lineStart + 1}: ${msg}`)
  }
  while (i < src.length) {
    const c = src[i] as string
    if (c === '\n') {
      line++
      i++
      lineStart = i
      continue
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++
      continue
    }
    if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      while (i < src.length && src[i] !== '\n') i++
      continue
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2)
      if (end < 0) fail('comment not terminated')
      for (let j = i; j < end; j++) {
        if (src[j] === '\n') {
          line++
          lineStart = j + 1
        }
      }
      i = end + 2
      continue
    }
    const col = i - lineStart + 1
    if ('{}[]=,:'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, line, col })
      i++
      continue
    }
    if (c === '"') {
      let j = i + 1
      let out = ''
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\n') fail('literal not terminated')
        if (src[j] === '\\') {
          const e = src[j + 1]
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' }
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(j + 2, j + 6))) {
            out += String.fromCharCode(parseInt(src.slice(j + 2, j + 6), 16))
            j += 6
            continue
          }
          if (e === undefined || !(e in map)) fail('unknown escape sequence')
          out += map[e as string]
          j += 2
          continue
        }
        out += src[j]
        j++
      }
      if (j >= src.length) fail('literal not terminated')
      tokens.push({ kind: 'string', text: src.slice(i, j + 1), value: out, line, col })
      i = j + 1
      continue
    }
    const heredoc = /^<<(-?)([A-Za-z_][A-Za-z0-9_]*)\r?\n/.exec(src.slice(i))
    if (heredoc) {
      // HCL heredoc: the text up to a line holding only the marker (indented when `<<-`).
      const marker = heredoc[2] as string
      const bodyStart = i + heredoc[0].length
      const lines = src.slice(bodyStart).split('\n')
      const end = lines.findIndex((l) => l.replace(/\r$/, '').trim() === marker)
      if (end < 0) fail(`heredoc not terminated: missing ${marker}`)
      const text = lines
        .slice(0, end)
        .map((l) => `${l}\n`)
        .join('')
      tokens.push({ kind: 'string', text: heredoc[0], value: text, line, col })
      const consumed = lines.slice(0, end + 1).join('\n').length + 1
      line += end + 2
      i = bodyStart + consumed
      lineStart = i
      continue
    }
    const num = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(src.slice(i))
    if (num && (c === '-' || /\d/.test(c))) {
      tokens.push({ kind: 'number', text: num[0], value: Number(num[0]), line, col })
      i += num[0].length
      continue
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(src.slice(i))
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0], line, col })
      i += ident[0].length
      continue
    }
    fail(`illegal char ${JSON.stringify(c)}`)
  }
  tokens.push({ kind: 'eof', text: '', line, col: i - lineStart + 1 })
  return tokens
}

/**
 * Parses HCL (v1 syntax as Vault policies use it) into items. Keys may be identifiers or strings.
 * @throws HclSyntaxError with an `At line:col:` prefix on malformed input.
 */
export function parseHcl(src: string): HclItem[] {
  const tokens = tokenize(src)
  let pos = 0
  const peek = () => tokens[pos] as Token
  const next = () => tokens[pos++] as Token
  const fail = (t: Token, msg: string): never => {
    throw new HclSyntaxError(`At ${t.line}:${t.col}: ${msg}`)
  }
  function parseValue(): HclValue {
    const t = next()
    if (t.kind === 'string') return t.value as string
    if (t.kind === 'number') return t.value as number
    if (t.kind === 'ident' && (t.text === 'true' || t.text === 'false')) return t.text === 'true'
    if (t.kind === 'punct' && t.text === '[') {
      const list: HclValue[] = []
      while (!(peek().kind === 'punct' && peek().text === ']')) {
        if (peek().kind === 'eof') fail(peek(), 'list not terminated')
        list.push(parseValue())
        if (peek().kind === 'punct' && peek().text === ',') next()
        else if (!(peek().kind === 'punct' && peek().text === ']')) {
          fail(peek(), `expected ',' or ']' in list, got ${describe(peek())}`)
        }
      }
      next()
      return list
    }
    if (t.kind === 'punct' && t.text === '{') return itemsToObject(parseBody('}'))
    return fail(t, `unexpected ${describe(t)} while parsing value`)
  }

  function parseBody(close: '}' | 'eof'): HclItem[] {
    const items: HclItem[] = []
    for (;;) {
      const t = peek()
      if (close === '}' && t.kind === 'punct' && t.text === '}') {
        next()
        return items
      }
      if (t.kind === 'eof') {
        if (close === 'eof') return items
        fail(t, 'object expected closing RBRACE got: EOF')
      }
      if (t.kind === 'punct' && t.text === ',') {
        next()
        continue
      }
      if (t.kind !== 'ident' && t.kind !== 'string') fail(t, `unexpected ${describe(t)}`)
      next()
      const key = t.kind === 'string' ? (t.value as string) : t.text
      const labels: string[] = []
      while (peek().kind === 'string') labels.push(next().value as string)
      const after = peek()
      if (after.kind === 'punct' && (after.text === '=' || after.text === ':')) {
        if (labels.length > 0) fail(after, 'key may not have labels and an assignment')
        next()
        items.push({ key, labels, value: parseValue(), line: t.line })
      } else if (after.kind === 'punct' && after.text === '{') {
        next()
        items.push({ key, labels, value: itemsToObject(parseBody('}')), line: t.line })
      } else {
        fail(after, `key '${key}' expected start of object ('{') or assignment ('=')`)
      }
    }
  }

  return parseBody('eof')
}

function describe(t: Token): string {
  return t.kind === 'eof' ? 'EOF' : `${t.kind} ${t.text}`
}

const lines = new WeakMap<HclObject, Record<string, number>>()

/** Line where `key` was written inside an object produced by the parser (0 if unknown). */
export function lineOf(obj: HclObject, key: string): number {
  return lines.get(obj)?.[key] ?? 0
}

function itemsToObject(items: HclItem[]): HclObject {
  const obj: HclObject = {}
  const at: Record<string, number> = {}
  for (const item of items) {
    let value = item.value
    for (let i = item.labels.length - 1; i >= 0; i--) value = { [item.labels[i] as string]: value }
    const prev = obj[item.key]
    obj[item.key] =
      prev !== undefined && isObject(prev) && isObject(value) ? { ...prev, ...value } : value
    at[item.key] ??= item.line
  }
  lines.set(obj, at)
  return obj
}

function isObject(v: HclValue): v is HclObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
