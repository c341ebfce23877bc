/** @module core/data-limits: the shape limits of a secret's data, checked before Vault is called. */
import { AppError } from './errors.js'

/** DATA_MAX_DEPTH, DATA_MAX_KEYS and DATA_MAX_VALUE_BYTES. */
export interface DataLimits {
  /** Deepest nesting; the data object itself is level 1. */
  maxDepth: number
  /** Keys and array items at all levels together. */
  maxKeys: number
  /** Bytes of one field's value written as JSON. */
  maxValueBytes: number
}

const exceeded = (message: string) =>
  new AppError('DATA_LIMIT_EXCEEDED', message, { details: { reason: 'data_limit' } })

/**
 * Checks `data` against the limits, walking it without recursion (a value nested a hundred
 * thousand levels deep must not overflow the stack here either) and stopping at the first limit
 * it passes, so a huge value costs no more than the limit allows.
 *
 * Security: the limits keep one agent's write from costing the bridge, Vault or the other agents
 * more than a real secret does (a 10 KB value nested 5,000 levels deep made the Vault client's
 * JSON serialisation throw; 90,000 keys stalled the event loop).
 *
 * @throws DATA_LIMIT_EXCEEDED naming the limit and its setting.
 */
export function checkDataLimits(data: Record<string, unknown>, limits: DataLimits): void {
  let entries = 0
  const stack: { value: object; depth: number }[] = [{ value: data, depth: 1 }]
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: object; depth: number }
    if (depth > limits.maxDepth) {
      throw exceeded(
        `The data nests deeper than ${limits.maxDepth} levels (DATA_MAX_DEPTH); store deep structures flattened or as one JSON string.`,
      )
    }
    const children = Array.isArray(value) ? value : Object.values(value)
    entries += children.length
    if (entries > limits.maxKeys) {
      throw exceeded(
        `The data has more than ${limits.maxKeys} keys and array items (DATA_MAX_KEYS); split it into several secrets.`,
      )
    }
    for (const child of children) {
      if (typeof child === 'object' && child !== null)
        stack.push({ value: child, depth: depth + 1 })
    }
  }
  // Depth and size are bounded now, so writing each value out is cheap and cannot overflow.
  for (const [field, value] of Object.entries(data)) {
    if (Buffer.byteLength(JSON.stringify(value) ?? '') > limits.maxValueBytes) {
      throw exceeded(
        `The value of "${field.slice(0, 64)}" is larger than ${limits.maxValueBytes} bytes (DATA_MAX_VALUE_BYTES); store large blobs elsewhere and keep a reference here.`,
      )
    }
  }
}
