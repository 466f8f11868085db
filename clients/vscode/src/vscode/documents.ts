// Open `tandem:` documents bound to the room: each gets a FileBinding whose EditorPort applies
// remote edits with a WorkspaceEdit on the version they were computed for; document change events
// go to the binding (which tells its own edits coming back from the person's). Also publishes our
// cursor and keeps bound documents saved (saving is a no-op: the room is the file).
import * as vscode from 'vscode'
import type { RoomSession } from '../sync/room'
import type { FileBinding } from '../sync/binding'
import type { RemoteEdit } from '../sync/shadow'
import { pathOf } from './uri'

export class Documents implements vscode.Disposable {
  private bindings = new Map<string, { doc: vscode.TextDocument; binding: FileBinding; save?: NodeJS.Timeout }>()
  private subs: vscode.Disposable[] = []
  private cursorTimer: NodeJS.Timeout | null = null
  private offFiles: () => void

  constructor(
    private session: RoomSession,
    private log: vscode.OutputChannel
  ) {
    this.subs.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.open(d)),
      vscode.workspace.onDidCloseTextDocument((d) => this.close(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.changed(e)),
      vscode.window.onDidChangeTextEditorSelection(() => this.publishCursor()),
      vscode.window.onDidChangeActiveTextEditor(() => this.publishCursor())
    )
    for (const d of vscode.workspace.textDocuments) this.open(d)
    this.offFiles = session.on('files', () => {
      // A bound file deleted (or renamed away) in the room: unbind it.
      for (const [path, b] of this.bindings) if (this.session.text(path) !== b.binding.ytext) this.unbind(path)
      for (const d of vscode.workspace.textDocuments) this.open(d)
    })
  }

  isBound(path: string): boolean {
    return this.bindings.has(path)
  }

  private open(doc: vscode.TextDocument) {
    const path = pathOf(doc.uri)
    if (path === null || this.bindings.has(path) || !this.session.text(path)) return
    const port = {
      text: () => doc.getText(),
      version: () => doc.version,
      apply: async (edit: RemoteEdit) => {
        if (doc.isClosed || doc.version !== edit.base) return false
        const we = new vscode.WorkspaceEdit()
        // The changes are in descending order and do not overlap: each one's offsets hold on the
        // document as it is now, which is how a WorkspaceEdit reads them.
        for (const c of edit.changes) {
          we.replace(doc.uri, new vscode.Range(doc.positionAt(c.from), doc.positionAt(c.to)), c.text)
        }
        try {
          return await vscode.workspace.applyEdit(we)
        } catch {
          return false
        }
      }
    }
    const binding = this.session.bind(path, port, { log: (m) => this.log.appendLine(m) })
    this.bindings.set(path, { doc, binding })
    this.log.appendLine(`bound ${path} (version ${doc.version})`)
  }

  private close(doc: vscode.TextDocument) {
    const path = pathOf(doc.uri)
    if (path !== null && this.bindings.get(path)?.doc === doc) this.unbind(path)
  }

  private unbind(path: string) {
    const b = this.bindings.get(path)
    if (!b) return
    if (b.save) clearTimeout(b.save)
    b.binding.dispose()
    this.bindings.delete(path)
  }

  private changed(e: vscode.TextDocumentChangeEvent) {
    const path = pathOf(e.document.uri)
    const b = path === null ? undefined : this.bindings.get(path)
    if (!b || b.doc !== e.document) return
    if (e.contentChanges.length > 0) {
      b.binding.editorChanged(
        e.document.version,
        e.contentChanges.map((c) => ({ from: c.rangeOffset, to: c.rangeOffset + c.rangeLength, text: c.text }))
      )
    }
    if (e.document.isDirty && vscode.workspace.getConfiguration('tandem').get<boolean>('autoSave', true)) {
      if (b.save) clearTimeout(b.save)
      b.save = setTimeout(() => {
        if (!b.doc.isClosed && b.doc.isDirty) void b.doc.save()
      }, 400)
    }
  }

  /** Our cursor in the active room editor (throttled), or none when it is not a room file. */
  private publishCursor() {
    if (this.cursorTimer) return
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = null
      const ed = vscode.window.activeTextEditor
      const path = ed ? pathOf(ed.document.uri) : null
      if (!ed || path === null || !this.session.text(path)) {
        this.session.setCursor(null)
        return
      }
      const sel = ed.selection
      this.session.setCursor(path, ed.document.offsetAt(sel.anchor), ed.document.offsetAt(sel.active))
    }, 50)
  }

  dispose() {
    this.offFiles()
    for (const path of [...this.bindings.keys()]) this.unbind(path)
    for (const s of this.subs) s.dispose()
    if (this.cursorTimer) clearTimeout(this.cursorTimer)
  }
}
