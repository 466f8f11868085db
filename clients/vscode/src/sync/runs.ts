// Runs: starting one over HTTP (POST /api/rooms/{room}/runs with the link's token as Bearer) and
// following one's output as it streams. Reading the `runs` entries (readRun, runEntries,
// runOutcome) is clients/web/src/lib/schema.ts.

import type * as Y from 'yjs'
import { runEntries, runs, RUNNING_RUN, type RunEntry } from '../../../web/src/lib/schema'
import type { RoomLink } from './link'

/** A run's output so far, stdout and stderr interleaved as they came. */
export const runText = (r: RunEntry) => r.output.map((c) => c.text).join('')

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
    const text = runText(run)
    if (text.length > shown) {
      onOutput(text.slice(shown), run)
      shown = text.length
    }
    if (!RUNNING_RUN.includes(run.status)) {
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
