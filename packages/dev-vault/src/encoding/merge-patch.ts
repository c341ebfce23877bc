/** @module dev-vault/encoding/merge-patch: RFC 7386 JSON merge patch (KV v2 PATCH, reference §2.6). */
import { cloneJson, isJsonObject } from './go-number.js'

type Json = unknown

/** Applies `patch` to `target` without mutating either: `null` removes, objects merge, rest replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isJsonObject(patch)) return cloneJson(patch)
  const out: Record<string, Json> = isJsonObject(target) ? cloneJson(target) : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}
