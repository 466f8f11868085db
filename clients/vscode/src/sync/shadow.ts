// The editor's document as the sync layer knows it (sans-IO; mirrors clients/bridge/src/buffer.rs
// in UTF-16 units, which is what both VS Code and Yjs count in). Local edits arrive against this
// shadow, which may lag the room (remote text not yet shown, or refused because the person typed
// meanwhile); `local` rebases them onto the room's text without deleting remote text. `remote`
// derives what the editor still lacks, on the shadow's current version, so the editor applies it
// only if its document did not move in between.

import { segments, type Segment } from './diff'

/** One change in UTF-16 units against the text before it; a list applies in order. */
export interface Change {
  from: number
  to: number
  text: string
}

/** What the editor lacks, computed on the document at version `base` (changes in order). */
export interface RemoteEdit {
  base: number
  changes: Change[]
}

export class BadRange extends Error {}

export class Shadow {
  private pending: { base: number; text: string } | null = null

  constructor(
    private _text: string,
    private _version: number
  ) {}

  get text(): string {
    return this._text
  }
  get version(): number {
    return this._version
  }
  /** The remote edit handed to the editor and not yet seen applied. */
  get pendingEdit(): { base: number; text: string } | null {
    return this.pending
  }

  /**
   * The person's edit (`changes`, made on this shadow, leaving the document at `version`), applied
   * here and returned as changes to apply in order to `room`, the room's text. A pending remote
   * edit was refused by the editor (its version moved on).
   */
  local(room: string, version: number, changes: Change[]): Change[] {
    let text = this._text
    const out: Change[] = []
    for (const c of changes) {
      if (c.from < 0 || c.to < c.from || c.to > text.length) {
        throw new BadRange(`range ${c.from}..${c.to} does not fit the document (length ${text.length})`)
      }
      for (const rc of rebase(text, room, c.from, c.to, c.text)) {
        room = room.slice(0, rc.from) + rc.text + room.slice(rc.to)
        out.push(rc)
      }
      text = text.slice(0, c.from) + c.text + text.slice(c.to)
    }
    this._text = text
    this._version = version
    this.pending = null
    return out
  }

  /**
   * Whether `changes` at `version` are the pending remote edit coming back from the editor (its
   * own application of it): then the shadow takes it, and it must not go back to the room.
   */
  isEcho(version: number, changes: Change[]): boolean {
    const p = this.pending
    if (!p || p.base !== this._version || version <= this._version) return false
    let text = this._text
    for (const c of changes) {
      if (c.from < 0 || c.to < c.from || c.to > text.length) return false
      text = text.slice(0, c.from) + c.text + text.slice(c.to)
    }
    if (text !== p.text) return false
    this._text = text
    this._version = version
    this.pending = null
    return true
  }

  /**
   * The changes that bring the document to `room`, on the current version; null when it already
   * matches. Until the editor applies them, the shadow stays as the editor has it.
   */
  remote(room: string): RemoteEdit | null {
    if (this._text === room) {
      this.pending = null
      return null
    }
    const changes: Change[] = []
    const segs = segments(this._text, room)
    for (let i = segs.length - 1; i >= 0; i--) {
      const s = segs[i]
      if (s.equal) continue
      changes.push({ from: s.oldFrom, to: s.oldTo, text: room.slice(s.newFrom, s.newTo) })
    }
    this.pending = { base: this._version, text: room }
    return { base: this._version, changes }
  }

  /** The editor refused (or failed) the pending edit sent on `base`. */
  refused(base: number): void {
    if (this.pending?.base === base) this.pending = null
  }

  /** The copies disagree: take the editor's text as it is (the next `remote` repairs the rest). */
  reset(text: string, version: number): void {
    this._text = text
    this._version = version
    this.pending = null
  }
}

/** Where position `p` of `old` is in `new`: in shared text, the same character; in or at text only
 * one side has, before the other side's text there. */
function mapLeft(segs: Segment[], p: number, newLen: number): number {
  for (const s of segs) {
    const inside = p >= s.oldFrom && p < s.oldTo
    const atInsert = s.oldFrom === s.oldTo && p === s.oldFrom
    if (inside || atInsert) return s.equal ? s.newFrom + (p - s.oldFrom) : s.newFrom
  }
  return newLen
}

/** The shadow change `from..to` → `insert`, as changes to `room`: only text both share is deleted
 * (a remote insertion inside the range survives), and the insertion goes where the range starts. */
export function rebase(shadow: string, room: string, from: number, to: number, insert: string): Change[] {
  if (shadow === room) return [{ from, to, text: insert }]
  const segs = segments(shadow, room)
  const at = mapLeft(segs, from, room.length)
  const deletes: Change[] = []
  for (const s of segs) {
    if (!s.equal) continue
    const a = Math.max(from, s.oldFrom)
    const b = Math.min(to, s.oldTo)
    if (a < b) deletes.push({ from: s.newFrom + (a - s.oldFrom), to: s.newFrom + (b - s.oldFrom), text: '' })
  }
  deletes.reverse()
  if (insert.length > 0) deletes.push({ from: at, to: at, text: insert })
  return deletes
}
