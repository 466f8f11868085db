// A stand-in for an editor document in the Node tests: text, a version counter that moves on every
// change, edits applied asynchronously (like VS Code's WorkspaceEdit) and only on the version they
// were computed for, and change events delivered to the binding the way VS Code delivers them.

import type { EditorPort } from '../src/sync/binding'
import type { Change, RemoteEdit } from '../src/sync/shadow'

export class FakeEditor implements EditorPort {
  private listener: ((version: number, changes: Change[]) => void) | null = null
  /** While true, remote edits wait (in flight) until `release()`. */
  hold = false
  private held: (() => void)[] = []
  /** Every applied remote edit: the version it was computed on and the version it produced. */
  appliedLog: { base: number; version: number }[] = []
  refusedLog: number[] = []

  constructor(
    private _text: string,
    private _version = 1
  ) {}

  text(): string {
    return this._text
  }
  version(): number {
    return this._version
  }
  onChange(cb: (version: number, changes: Change[]) => void) {
    this.listener = cb
  }

  private change(changes: Change[]) {
    for (const c of changes) this._text = this._text.slice(0, c.from) + c.text + this._text.slice(c.to)
    this._version++
    this.listener?.(this._version, changes)
  }

  /** The person types: replace `from..to` (UTF-16) with `text`. */
  type(from: number, to: number, text: string) {
    this.change([{ from, to, text }])
  }

  apply(edit: RemoteEdit): Promise<boolean> {
    return new Promise((resolve) => {
      const go = () => {
        if (this._version !== edit.base) {
          this.refusedLog.push(edit.base)
          resolve(false)
          return
        }
        this.change(edit.changes)
        this.appliedLog.push({ base: edit.base, version: this._version })
        resolve(true)
      }
      if (this.hold) this.held.push(go)
      else setTimeout(go, 1)
    })
  }

  get inFlight(): number {
    return this.held.length
  }

  release() {
    this.hold = false
    const held = this.held
    this.held = []
    for (const go of held) setTimeout(go, 0)
  }
}
