/**
 * @module observability/line-sink: where log and audit lines go: asynchronous writes to stdout,
 * stderr or an appended file (sonic-boom, pino's destination), a bounded queue, a flush that
 * waits for every line queued so far, and a synchronous flush at process exit.
 */
import { openSync } from 'node:fs'
import { pino } from 'pino'

/** What the logger and the audit trail write lines to. */
export interface LineSink {
  /** Queues one line (with its newline). Never throws; see `overflow` for a full queue. */
  write(line: string): void
  /** Resolves once every line queued so far has been written (or the sink has failed). */
  flush(): Promise<void>
  /** Flushes, then closes a file the sink opened (stdout and stderr stay open). Later lines are dropped. */
  close(): Promise<void>
}

export interface LineSinkOptions {
  /** 1 (stdout), 2 (stderr), or a file path, opened for appending (created with `mode`). */
  dest: 1 | 2 | string
  /** Creation mode of a file (default 0o600). */
  mode?: number
  /** Most bytes queued but not yet written (default {@link DEFAULT_MAX_QUEUED_BYTES}). */
  maxQueuedBytes?: number
  /**
   * When the queue is full (the sink has been slower than the bridge for a while): `block`
   * writes the queue synchronously, so the event loop waits for the sink rather than memory
   * growing or lines being lost (the audit trail); `drop` drops the line (the logs).
   */
  overflow: 'block' | 'drop'
  /** Told of each line dropped under overflow `drop`. */
  onDrop?: () => void
  /** Told of the first write error; the sink drops every later line. */
  onError?: (err: unknown) => void
}

/** The default bound of a sink's queue. */
export const DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024

/** One sonic-boom stream and what is queued on it; shared by every sink on stdout or stderr. */
interface Channel {
  stream: ReturnType<typeof pino.destination>
  queued: number
  failed: boolean
  errorListeners: Set<(err: unknown) => void>
}

// One writer per standard stream: two streams writing to one pipe from the thread pool could
// interleave chunks larger than PIPE_BUF and tear lines.
const standard = new Map<number, Channel>()

function openChannel(fd: number): Channel {
  // sonic-boom: fs.write off the event loop, lines batched while a write is in flight, EAGAIN
  // retried, and (pino registers it) a synchronous flush when the process exits.
  const stream = pino.destination({ fd, sync: false })
  const channel: Channel = { stream, queued: 0, failed: false, errorListeners: new Set() }
  stream.on('write', (n: number) => {
    channel.queued = Math.max(0, channel.queued - n)
  })
  stream.on('error', (err: unknown) => {
    channel.failed = true
    for (const listener of channel.errorListeners) listener(err)
  })
  return channel
}

// sonic-boom sets `destroyed` once ended or failed; its typings leave it out.
const destroyed = (stream: Channel['stream']): boolean =>
  (stream as unknown as { destroyed?: boolean }).destroyed === true

/**
 * Opens the sink. A file is opened synchronously, so that a path that cannot be written fails
 * here, at startup, rather than on the first line.
 * @throws the open error (ENOENT, EACCES) for a file that cannot be opened for appending.
 */
export function createLineSink(o: LineSinkOptions): LineSink {
  const max = o.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES
  const shared = typeof o.dest === 'number'
  let channel: Channel
  if (typeof o.dest === 'number') {
    channel = standard.get(o.dest) ?? openChannel(o.dest)
    standard.set(o.dest, channel)
  } else {
    channel = openChannel(openSync(o.dest, 'a', o.mode ?? 0o600))
  }
  const { stream } = channel
  let closed = false
  let reported = false
  const onError = (err: unknown) => {
    if (reported) return
    reported = true
    o.onError?.(err)
  }
  channel.errorListeners.add(onError)
  const unusable = () => channel.failed || destroyed(stream)

  const flush = () =>
    new Promise<void>((resolve) => {
      if (unusable() || channel.queued === 0) return resolve()
      const check = () => {
        if (channel.queued > 0 && !unusable()) return
        stream.off('write', check)
        stream.off('drain', check)
        stream.off('error', check)
        resolve()
      }
      stream.on('write', check)
      stream.on('drain', check)
      stream.on('error', check)
    })

  return {
    write(line) {
      if (closed || unusable()) return
      const bytes = Buffer.byteLength(line)
      if (channel.queued + bytes > max) {
        if (o.overflow === 'drop') return o.onDrop?.()
        try {
          stream.flushSync()
          channel.queued = 0
        } catch (err) {
          onError(err)
        }
      }
      channel.queued += bytes
      try {
        stream.write(line)
      } catch (err) {
        channel.failed = true
        onError(err)
      }
    },
    flush,
    async close() {
      if (closed) return
      closed = true
      await flush()
      channel.errorListeners.delete(onError)
      if (shared || destroyed(stream)) return
      await new Promise<void>((resolve) => {
        stream.once('close', () => resolve())
        stream.once('error', () => resolve())
        stream.end()
      })
    },
  }
}
