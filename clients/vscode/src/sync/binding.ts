// One room file bound to one editor document: the person's edits go to the room's Y.Text (rebased
// onto remote text they have not seen), remote edits go to the editor on the version they were
// computed for, and a remote edit coming back as an editor change is recognised (no echo).

import * as Y from 'yjs'
import { BadRange, Shadow, type Change, type RemoteEdit } from './shadow'

/** The editor side of a binding (VS Code's TextDocument in the extension, a fake in tests). */
export interface EditorPort {
  /** Applies `changes` (in order) only if the document is still at version `base`; resolves
   * whether it did. May be asynchronous: the person can type before it lands. */
  apply(edit: RemoteEdit): Promise<boolean>
  /** The document's text and version now. */
  text(): string
  version(): number
}

export interface BindingOptions {
  readOnly?: boolean
  log?: (msg: string) => void
}

const sameBarCr = (a: string, b: string) => a.replace(/\r/g, '') === b.replace(/\r/g, '')

export class FileBinding {
  private shadow: Shadow
  private applying = false
  private disposed = false
  private failures = 0
  /** How many times the copies disagreed and the editor's text was taken as it was. */
  resyncs = 0
  private readonly observer = (_e: Y.YTextEvent, txn: Y.Transaction) => {
    if (txn.origin !== this) this.pump()
  }

  constructor(
    readonly path: string,
    readonly ytext: Y.Text,
    private port: EditorPort,
    private opts: BindingOptions = {}
  ) {
    this.shadow = new Shadow(port.text(), port.version())
    ytext.observe(this.observer)
    this.pump()
  }

  /** The text the editor is known to have. */
  get shadowText(): string {
    return this.shadow.text
  }

  /** An editor change event: `changes` (UTF-16, in order, each against the text before it) left
   * the document at `version`. */
  editorChanged(version: number, changes: Change[]): void {
    if (this.disposed) return
    if (this.shadow.isEcho(version, changes)) {
      this.check(version)
      this.pump()
      return
    }
    if (this.opts.readOnly) {
      // The room refuses this person's edits: put the room's text back.
      this.shadow.reset(this.port.text(), version)
      this.pump()
      return
    }
    try {
      const room = this.ytext.toString()
      const out = this.shadow.local(room, version, changes)
      if (out.length > 0) {
        this.ytext.doc!.transact(() => {
          for (const c of out) {
            if (c.to > c.from) this.ytext.delete(c.from, c.to - c.from)
            if (c.text.length > 0) this.ytext.insert(c.from, c.text)
          }
        }, this)
      }
    } catch (e) {
      if (!(e instanceof BadRange)) throw e
      this.opts.log?.(`${this.path}: ${e.message}; resyncing`)
      this.resync(version)
    }
    this.check(version)
    this.pump()
  }

  /** The shadow must be the document's text; if not, take the document's text (the remote
   * derivation then brings it to the room's text as a whole-text replacement). */
  private check(version: number) {
    if (this.port.version() !== version) return
    if (this.port.text() !== this.shadow.text) {
      this.opts.log?.(`${this.path}: the editor and its shadow disagree; resyncing`)
      this.resync(version)
    }
  }

  private resync(version: number) {
    this.resyncs++
    this.shadow.reset(this.port.text(), version)
  }

  /** Sends the editor whatever room text it lacks, one edit at a time. */
  private pump(): void {
    if (this.disposed) return
    if (this.applying) {
      return
    }
    if (this.shadow.pendingEdit) return // applied, echo not seen yet: its change event re-pumps
    const room = this.ytext.toString()
    if (sameBarCr(room, this.shadow.text)) return // the editor normalises line ends; nothing to show
    const edit = this.shadow.remote(room)
    if (!edit) return
    this.applying = true
    this.port.apply(edit).then(
      (ok) => this.settle(edit, ok),
      (e) => {
        this.opts.log?.(`${this.path}: applying a remote edit failed: ${e}`)
        this.settle(edit, false)
      }
    )
  }

  private settle(edit: RemoteEdit, ok: boolean) {
    this.applying = false
    if (ok) {
      this.failures = 0
      // The change event normally came first (and cleared `pending`); if it is still pending and
      // the document is past `base`, the echo was not recognised: take the document as it is.
      const p = this.shadow.pendingEdit
      if (p && p.base === edit.base && this.port.version() > edit.base) {
        this.shadow.reset(this.port.text(), this.port.version())
      }
    } else {
      this.shadow.refused(edit.base)
      this.failures++
    }
    if (this.failures > 0 && this.failures % 20 === 0) {
      // Something keeps refusing: stay correct, just slower.
      setTimeout(() => this.pump(), 50)
      return
    }
    this.pump()
  }

  dispose(): void {
    this.disposed = true
    this.ytext.unobserve(this.observer)
  }
}
