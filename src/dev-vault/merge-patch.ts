/** @module dev-vault/merge-patch: RFC 7386 JSON merge patch (KV v2 PATCH, reference §2.6). */

type Json = unknown

function isMap(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Applies `patch` to `target` without mutating either: `null` removes, objects merge, rest replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isMap(patch)) return structuredClone(patch)
  const out: Record<string, Json> = isMap(target) ? structuredClone(target) : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}
