//! Who is in the room, from awareness states: names, colours, Claude's status and leased range,
//! and which file each cursor is in (so the presence bar can follow someone).

import * as Y from 'yjs'
import { files } from './schema'

export interface Person {
  clientId: number
  name: string
  color: string
  kind: 'human' | 'ai'
  status?: string
  file: string | null
  head: number | null
  lease: Lease | null
  self: boolean
}

export interface Lease {
  file: string
  from: number
  to: number
  until?: number
}

const PALETTE = ['#f97316', '#22c55e', '#3b82f6', '#eab308', '#ec4899', '#14b8a6', '#a855f7', '#ef4444']

/** A stable colour for a name. */
export function colorFor(name: string): string {
  let h = 0
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)!) >>> 0
  return PALETTE[h % PALETTE.length]
}

/** Where a cursor (relative positions, as y-codemirror.next or the AI peer publish them) is. */
export function cursorLocation(doc: Y.Doc, cursor: unknown): { file: string; head: number } | null {
  if (typeof cursor !== 'object' || cursor === null) return null
  const c = cursor as { head?: unknown; file?: unknown }
  if (c.head == null) return null
  let abs: Y.AbsolutePosition | null = null
  try {
    abs = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(c.head), doc)
  } catch {
    abs = null
  }
  if (!abs) return null
  let file: string | null = null
  files(doc).forEach((text, path) => {
    if (text === abs!.type) file = path
  })
  if (file === null && typeof c.file === 'string') file = c.file
  return file === null ? null : { file, head: abs.index }
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
    const loc = cursorLocation(doc, state.cursor)
    out.push({
      clientId,
      name: user.name,
      color: typeof user.color === 'string' ? user.color : colorFor(user.name),
      kind: user.kind === 'ai' ? 'ai' : 'human',
      status: typeof state.status === 'string' ? state.status : undefined,
      file: loc?.file ?? null,
      head: loc?.head ?? null,
      lease: readLease(state.lease),
      self: clientId === selfId
    })
  })
  // Yourself first, then Claude, then everyone else by name.
  return out.sort(
    (a, b) =>
      Number(b.self) - Number(a.self) ||
      Number(b.kind === 'ai') - Number(a.kind === 'ai') ||
      a.name.localeCompare(b.name) ||
      a.clientId - b.clientId
  )
}

/** Leases on `path` still in force at `now` (ms since the epoch). */
export function leasesOn(list: Person[], path: string, now: number): Lease[] {
  return list
    .map((p) => p.lease)
    .filter((l): l is Lease => l !== null && l.file === path && (l.until == null || l.until > now))
}

const ADJECTIVES = ['Quick', 'Calm', 'Bright', 'Bold', 'Keen', 'Kind', 'Swift', 'Wise']
const ANIMALS = ['Otter', 'Heron', 'Lynx', 'Fox', 'Wren', 'Panda', 'Koala', 'Falcon']

/** A friendly name for someone whose link carries none. */
export function guestName(random: () => number = Math.random): string {
  const pick = <T,>(xs: T[]) => xs[Math.floor(random() * xs.length) % xs.length]
  return `${pick(ADJECTIVES)} ${pick(ANIMALS)}`
}
