// Runs: starting one over HTTP (POST /api/rooms/{room}/runs with the link's token as Bearer) and
// reading the `runs` entries (status, exit, output as it streams) from the document.

import * as Y from 'yjs'
import { num, runs, str, RUNNING_RUN } from './schema'
import type { RoomLink } from './link'

export interface RunEntry {
  index: number
  id: string
  entry: string
  lang: string
  requestedBy: string
  status: string
  exitCode: number | null
  reason?: string
  signal?: number
  message?: string
  durationMs?: number
  output: string
  stderr: { from: number; to: number }[]
}

export function readRun(map: Y.Map<unknown>, index: number): RunEntry {
  const output = map.get('output')
  let text = ''
  const stderr: RunEntry['stderr'] = []
  if (output instanceof Y.Text) {
    for (const d of output.toDelta() as { insert: unknown; attributes?: { stderr?: boolean } }[]) {
      if (typeof d.insert !== 'string') continue
      if (d.attributes?.stderr === true) stderr.push({ from: text.length, to: text.length + d.insert.length })
      text += d.insert
    }
  }
  const exit = map.get('exit_code')
  return {
    index,
    id: str(map.get('id')) ?? String(index),
    entry: str(map.get('entry')) ?? '',
    lang: str(map.get('lang')) ?? '',
    requestedBy: str(map.get('requested_by')) ?? '',
    status: str(map.get('status')) ?? 'queued',
    exitCode: typeof exit === 'number' ? exit : null,
    reason: str(map.get('reason')),
    signal: num(map.get('signal')),
    message: str(map.get('message')),
    durationMs: num(map.get('duration_ms')),
    output: text,
    stderr
  }
}

export function runEntries(doc: Y.Doc): RunEntry[] {
  const out: RunEntry[] = []
  runs(doc).forEach((v, i) => {
    if (v instanceof Y.Map) out.push(readRun(v, i))
  })
  return out
}

export const runEnded = (r: RunEntry) => !RUNNING_RUN.includes(r.status)

/** A run's outcome in words: `exit 0`, `killed (timeout)`, `signal 11`, `failed: ...`. */
export function runOutcome(r: RunEntry): string {
  switch (r.status) {
    case 'exited':
      return `exit ${r.exitCode ?? '?'}`
    case 'killed':
      return r.reason ? `killed (${r.reason})` : 'killed'
    case 'signaled':
      return `signal ${r.signal ?? '?'}`
    case 'failed':
      return r.message ? `failed: ${r.message}` : 'failed'
    default:
      return r.status
  }
}

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string
  ) {
    super(message)
  }
}

/** Starts a run of `entry` (or the room's default entry); resolves with the run's id. */
export async function startRun(link: RoomLink, entry?: string): Promise<{ id: string; entry: string }> {
  const res = await fetch(`${link.origin}/api/rooms/${encodeURIComponent(link.room)}/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${link.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(entry ? { entry } : {})
  })
  const text = await res.text()
  let json: Record<string, unknown> = {}
  try {
    json = text ? JSON.parse(text) : {}
  } catch {
    json = {}
  }
  if (!res.ok) throw new ApiError(res.status, typeof json.error === 'string' ? json.error : text || res.statusText)
  return { id: String(json.id), entry: String(json.entry ?? entry ?? '') }
}

/**
 * Follows run `id` in the document: `onOutput` gets each new piece of output as it streams, `onEnd`
 * the entry once it ended. Returns a function that stops following.
 */
export function followRun(
  doc: Y.Doc,
  id: string,
  onOutput: (chunk: string, run: RunEntry) => void,
  onEnd: (run: RunEntry) => void
): () => void {
  let shown = 0
  let ended = false
  const check = () => {
    if (ended) return
    const run = runEntries(doc).find((r) => r.id === id)
    if (!run) return
    if (run.output.length > shown) {
      onOutput(run.output.slice(shown), run)
      shown = run.output.length
    }
    if (runEnded(run)) {
      ended = true
      stop()
      onEnd(run)
    }
  }
  const arr = runs(doc)
  const stop = () => arr.unobserveDeep(check)
  arr.observeDeep(check)
  check()
  return stop
}
