// Who is in the room, from awareness states: names, colours, kinds, Claude's status and leased
// range, and each cursor decoded to a file and UTF-16 offsets; our own cursor encoded the way
// y-codemirror.next and the AI peer publish theirs (Yjs relative positions as JSON).

import * as Y from 'yjs'
import { files } from './schema'

export interface Lease {
  file: string
  from: number
  to: number
  until?: number
}

export interface Person {
  clientId: number
  name: string
  color: string
  kind: 'human' | 'ai'
  status?: string
  file: string | null
  anchor: number | null
  head: number | null
  lease: Lease | null
  self: boolean
}

const PALETTE = ['#f97316', '#22c55e', '#3b82f6', '#eab308', '#ec4899', '#14b8a6', '#a855f7', '#ef4444']

/** A stable colour for a name (the web client's rule). */
export function colorFor(name: string): string {
  let h = 0
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)!) >>> 0
  return PALETTE[h % PALETTE.length]
}

/** The `user` awareness field this client publishes. */
export function userState(name: string, color = colorFor(name)) {
  return { name, color, colorLight: color + '33', kind: 'human' as const }
}

/** Our cursor in `path` (UTF-16 offsets into its Y.Text) as the awareness `cursor` field. */
export function encodeCursor(doc: Y.Doc, path: string, anchor: number, head: number) {
  const text = files(doc).get(path)
  if (!(text instanceof Y.Text)) return null
  const rel = (i: number) =>
    Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, Math.max(0, Math.min(i, text.length))))
  return { file: path, anchor: rel(anchor), head: rel(head) }
}

function absolute(doc: Y.Doc, json: unknown): Y.AbsolutePosition | null {
  if (json == null) return null
  try {
    return Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(json), doc)
  } catch {
    return null
  }
}

function pathOf(doc: Y.Doc, type: Y.AbstractType<unknown>): string | null {
  let out: string | null = null
  files(doc).forEach((text, path) => {
    if (text === type) out = path
  })
  return out
}

/** Where an awareness `cursor` is: its file and UTF-16 offsets (anchor defaults to head). */
export function decodeCursor(
  doc: Y.Doc,
  cursor: unknown
): { file: string; anchor: number; head: number } | null {
  if (typeof cursor !== 'object' || cursor === null) return null
  const c = cursor as { head?: unknown; anchor?: unknown; file?: unknown }
  const head = absolute(doc, c.head)
  if (!head) return null
  const file = pathOf(doc, head.type) ?? (typeof c.file === 'string' ? c.file : null)
  if (file === null) return null
  const anchor = absolute(doc, c.anchor)
  return { file, head: head.index, anchor: anchor && anchor.type === head.type ? anchor.index : head.index }
}

function readLease(v: unknown): Lease | null {
  if (typeof v !== 'object' || v === null) return null
  const l = v as Record<string, unknown>
  if (typeof l.file !== 'string' || typeof l.from !== 'number' || typeof l.to !== 'number') return null
  return { file: l.file, from: l.from, to: l.to, until: typeof l.until === 'number' ? l.until : undefined }
}

export function people(doc: Y.Doc, states: Map<number, Record<string, unknown>>, selfId: number): Person[] {
  const out: Person[] = []
  states.forEach((state, clientId) => {
    const user = (state.user ?? {}) as Record<string, unknown>
    if (typeof user.name !== 'string') return
    const loc = decodeCursor(doc, state.cursor)
    out.push({
      clientId,
      name: user.name,
      color: typeof user.color === 'string' ? user.color : colorFor(user.name),
      kind: user.kind === 'ai' ? 'ai' : 'human',
      status: typeof state.status === 'string' ? state.status : undefined,
      file: loc?.file ?? null,
      anchor: loc?.anchor ?? null,
      head: loc?.head ?? null,
      lease: readLease(state.lease),
      self: clientId === selfId
    })
  })
  return out.sort(
    (a, b) =>
      Number(b.self) - Number(a.self) ||
      Number(b.kind === 'ai') - Number(a.kind === 'ai') ||
      a.name.localeCompare(b.name) ||
      a.clientId - b.clientId
  )
}

/** A lease still in force at `now` (ms since the epoch). */
export function leaseActive(l: Lease | null, now: number): l is Lease {
  return l !== null && (l.until == null || l.until > now)
}
