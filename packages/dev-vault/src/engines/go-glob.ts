/** @module dev-vault/engines/go-glob: `ryanuber/go-glob`, the `*` globs of token roles and JWT bound claims. */

/** True when `subject` matches `pattern`, whose `*` match any run of characters (no `?`). */
export function goGlob(pattern: string, subject: string): boolean {
  if (pattern === '') return subject === ''
  if (pattern === '*') return true
  const parts = pattern.split('*')
  if (parts.length === 1) return subject === pattern
  const leading = pattern.startsWith('*')
  const trailing = pattern.endsWith('*')
  const end = parts.length - 1
  let rest = subject
  for (let i = 0; i < end; i++) {
    const part = parts[i] as string
    const idx = rest.indexOf(part)
    if (i === 0 ? !leading && idx !== 0 : idx < 0) return false
    rest = rest.slice(idx + part.length)
  }
  return trailing || rest.endsWith(parts[end] as string)
}

/** `strutil.StrListContainsGlob`: some pattern of the list matches `subject`. */
export function anyGlobMatches(patterns: readonly string[], subject: string): boolean {
  return patterns.some((p) => goGlob(p, subject))
}
