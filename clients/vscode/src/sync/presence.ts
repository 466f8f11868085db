// Presence as VS Code needs it on top of clients/web/src/lib/presence.ts (people, colours, leases,
// cursorLocation): our own cursor encoded the way y-codemirror.next and the AI peer publish theirs
// (Yjs relative positions as JSON), and each person's selection (anchor as well as head).

import * as Y from 'yjs'
import { colorFor, cursorLocation, people as readPeople, type Person as WebPerson } from '../../../web/src/lib/presence'
import { fileText } from '../../../web/src/lib/schema'

export interface Person extends WebPerson {
  /** The other end of their selection (equal to `head` when nothing is selected). */
  anchor: number | null
}

/** The `user` awareness field this client publishes. */
export function userState(name: string, color = colorFor(name)) {
  return { name, color, colorLight: color + '33', kind: 'human' as const }
}

/** Our cursor in `path` (UTF-16 offsets into its Y.Text) as the awareness `cursor` field. */
export function encodeCursor(doc: Y.Doc, path: string, anchor: number, head: number) {
  const text = fileText(doc, path)
  if (!text) return null
  const rel = (i: number) =>
    Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, Math.max(0, Math.min(i, text.length))))
  return { file: path, anchor: rel(anchor), head: rel(head) }
}

/** Where an awareness `cursor` is: its file and UTF-16 offsets (anchor defaults to head). */
export function decodeCursor(doc: Y.Doc, cursor: unknown): { file: string; anchor: number; head: number } | null {
  const head = cursorLocation(doc, cursor)
  if (!head) return null
  const c = cursor as { anchor?: unknown; file?: unknown }
  const anchor = c.anchor == null ? null : cursorLocation(doc, { head: c.anchor, file: c.file })
  return { file: head.file, head: head.head, anchor: anchor && anchor.file === head.file ? anchor.head : head.head }
}

/** The web client's people, each with their selection's anchor. */
export function people(doc: Y.Doc, states: Map<number, Record<string, unknown>>, selfId: number): Person[] {
  return readPeople(doc, states, selfId).map((p) => ({
    ...p,
    anchor: p.head === null ? null : (decodeCursor(doc, states.get(p.clientId)?.cursor)?.anchor ?? p.head)
  }))
}
