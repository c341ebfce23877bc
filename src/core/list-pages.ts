/**
 * @module core/list-pages: lists in pages. A page is a slice of one stable order (lexicographic
 * by the full key relative to the listed folder), and its opaque cursor says where the next
 * page starts, so that every key is returned exactly once across the pages of an unchanged tree.
 */
import { AppError } from './errors.js'

/**
 * Where a page starts: after the key (or the finished folder, ending in `/`) `path`, or, with
 * `open`, at the start of the folder `path`, which the previous page reached but did not list.
 */
export interface Position {
  path: string
  open?: boolean
}

export interface PageRequest {
  /** Walk sub-folders (recursive keys, no folder entries), or list one folder's entries. */
  recursive: boolean
  /** Most keys in the page. */
  limit: number
  /** Most folders (one list call each) the page opens; at least 1. */
  folderBudget: number
  after?: Position
}

export interface Page {
  keys: string[]
  /** Where the next page starts; absent when nothing follows. */
  next?: Position
}

/** Lists one folder (relative to the listed root, `''` or `a/b/`): its entries, folders end in `/`. */
export type ListFolder = (relativeFolder: string) => Promise<string[]>

/**
 * The strict total order of the pages: JavaScript's string order. Listing each folder's entries
 * in this order, depth first, yields the keys in this order too: a folder entry `x/` sorts
 * exactly where the paths below it sort, since no sibling starts with `x/`.
 */
const before = (a: string, b: string) => a < b

/** One folder on the walk: its entries after `threshold` once listed, and how far it got. */
interface Frame {
  rel: string
  /** Only entries after this one are left (the entry the walk resumes after); none: all. */
  threshold?: string
  /** Opened by this page's walk (not rebuilt from the cursor). */
  fresh: boolean
  entries?: string[]
  index: number
}

/**
 * One page of a listing. A plain list takes one call and pages through the folder's entries
 * (folders included). A recursive list walks depth first in key order and opens at most
 * `folderBudget` folders: when the budget runs out first, the page is shorter than `limit` but
 * still says where the next one starts, and every page makes progress.
 */
export async function listPage(list: ListFolder, req: PageRequest): Promise<Page> {
  const limit = Math.max(1, Math.floor(req.limit))
  if (!req.recursive) {
    const threshold = req.after?.path
    const entries = sorted(await list('')).filter(
      (e) => threshold === undefined || before(threshold, e),
    )
    const keys = entries.slice(0, limit)
    return entries.length > limit ? { keys, next: { path: keys[keys.length - 1]! } } : { keys }
  }

  const budget = Math.max(1, Math.floor(req.folderBudget))
  const stack = framesAfter(req.after)
  const keys: string[] = []
  let opened = 0
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!
    if (top.entries === undefined) {
      if (opened === budget) return { keys, next: resumeAt(top) }
      opened += 1
      const listed = sorted(await list(top.rel))
      const threshold = top.threshold
      top.entries = threshold === undefined ? listed : listed.filter((e) => before(threshold, e))
    }
    const entry = top.entries[top.index]
    if (entry === undefined) {
      stack.pop()
      continue
    }
    top.index += 1
    if (entry.endsWith('/')) {
      stack.push({ rel: top.rel + entry, fresh: true, index: 0 })
      continue
    }
    // A key beyond the limit proves that another page follows.
    if (keys.length === limit) return { keys, next: { path: keys[keys.length - 1]! } }
    keys.push(top.rel + entry)
  }
  return { keys }
}

const sorted = (entries: string[]) => [...new Set(entries)].sort()

/**
 * The folders to resume in, root first: each ancestor of the position continues after its
 * child on the way, the position's folder after the position itself, and an open position's
 * folder from its start.
 */
function framesAfter(after: Position | undefined): Frame[] {
  if (after === undefined) return [{ rel: '', fresh: false, index: 0 }]
  const folder = after.path.endsWith('/')
  const parts = (folder ? after.path.slice(0, -1) : after.path).split('/')
  const frames: Frame[] = []
  let rel = ''
  parts.forEach((part, i) => {
    const last = i === parts.length - 1
    frames.push({ rel, threshold: last && !folder ? part : `${part}/`, fresh: false, index: 0 })
    rel += `${part}/`
  })
  if (after.open) frames.push({ rel: after.path, fresh: false, index: 0 })
  return frames
}

/** Where a page that stops before listing `frame` resumes. */
function resumeAt(frame: Frame): Position {
  if (frame.fresh || frame.threshold === undefined) return { path: frame.rel, open: true }
  return { path: frame.rel + frame.threshold }
}

// ---------------------------------------------------------------------------------------------
// Cursors

/** What a cursor belongs to: a list of secrets (prefix, recursive) or of transit keys. */
export type CursorScope = { kind: 'secrets'; prefix: string; recursive: boolean } | { kind: 'keys' }

/** Longest cursor accepted (the schemas bound it too). */
export const MAX_CURSOR_LENGTH = 4096

/**
 * The opaque cursor of a position: base64url of a small JSON document that also records what
 * it belongs to, so that it cannot be used with another list.
 */
export function encodeCursor(scope: CursorScope, at: Position): string {
  const doc = {
    v: 1,
    ...(scope.kind === 'secrets' ? { k: 's', p: scope.prefix, r: scope.recursive } : { k: 'k' }),
    a: at.path,
    ...(at.open ? { o: 1 } : {}),
  }
  return Buffer.from(JSON.stringify(doc), 'utf8').toString('base64url')
}

/**
 * The position of a cursor made by {@link encodeCursor} for this same scope. The position is
 * the caller's input as far as trust goes: the service checks its paths before listing them.
 * @throws INVALID_INPUT when the cursor is malformed or belongs to another list.
 */
export function decodeCursor(cursor: string, scope: CursorScope): Position {
  const bad = (why: string) =>
    new AppError(
      'INVALID_INPUT',
      `cursor: ${why}. Pass the next_cursor of the previous page unchanged, with the same ` +
        (scope.kind === 'secrets' ? 'prefix and recursive.' : 'list.'),
    )
  let doc: unknown
  try {
    if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error()
    doc = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw bad('not a cursor this bridge issued')
  }
  const d = (doc ?? {}) as Record<string, unknown>
  if (typeof doc !== 'object' || d.v !== 1 || typeof d.a !== 'string' || d.a === '') {
    throw bad('not a cursor this bridge issued')
  }
  if (d.o !== undefined && d.o !== 1) throw bad('not a cursor this bridge issued')
  const matches =
    scope.kind === 'secrets'
      ? d.k === 's' && d.p === scope.prefix && d.r === scope.recursive
      : d.k === 'k'
  if (!matches) throw bad('it belongs to another list')
  return { path: d.a, ...(d.o === 1 ? { open: true } : {}) }
}
