// The `tandem:` FileSystemProvider: the room's files as a file system, read from the live document.
// Writes of a bound (open) document are no-ops (its binding sends every keystroke already); other
// writes create or overwrite the room file. mtime stays fixed and size 0 so that remote edits never
// make VS Code think the file changed on disk.
import * as vscode from 'vscode'
import type { RoomSession } from '../sync/room'
import { segments } from '../sync/diff'
import { pathOf, uriOf } from './uri'

export class TandemFs implements vscode.FileSystemProvider {
  private emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>()
  readonly onDidChangeFile = this.emitter.event
  private session: RoomSession | null = null
  private known = new Set<string>()
  private since = Date.now()
  private offFiles: (() => void) | null = null

  constructor(private isBound: (path: string) => boolean) {}

  setSession(s: RoomSession | null) {
    this.offFiles?.()
    this.offFiles = null
    const gone = [...this.known].map((p) => ({ type: vscode.FileChangeType.Deleted, uri: uriOf(p) }))
    this.known.clear()
    this.session = s
    this.since = Date.now()
    if (gone.length) this.emitter.fire(gone)
    if (s) {
      this.offFiles = s.on('files', () => this.filesChanged())
      this.filesChanged()
    }
  }

  private filesChanged() {
    const now = new Set(this.session?.files() ?? [])
    const events: vscode.FileChangeEvent[] = []
    for (const p of now) if (!this.known.has(p)) events.push({ type: vscode.FileChangeType.Created, uri: uriOf(p) })
    for (const p of this.known) if (!now.has(p)) events.push({ type: vscode.FileChangeType.Deleted, uri: uriOf(p) })
    this.known = now
    if (events.length) this.emitter.fire(events)
  }

  private need(): RoomSession {
    if (!this.session) throw vscode.FileSystemError.Unavailable('not in a Tandem room (run "Tandem: Join Room")')
    return this.session
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => {})
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const s = this.need()
    const path = pathOf(uri) ?? ''
    const permissions = s.readOnly ? vscode.FilePermission.Readonly : undefined
    if (path === '' || s.files().some((f) => f.startsWith(path + '/'))) {
      return { type: vscode.FileType.Directory, ctime: this.since, mtime: this.since, size: 0, permissions }
    }
    if (!s.text(path)) throw vscode.FileSystemError.FileNotFound(uri)
    return { type: vscode.FileType.File, ctime: this.since, mtime: this.since, size: 0, permissions }
  }

  readDirectory(uri: vscode.Uri): [string, vscode.FileType][] {
    const s = this.need()
    const dir = pathOf(uri) ?? ''
    const prefix = dir === '' ? '' : dir + '/'
    const out = new Map<string, vscode.FileType>()
    for (const f of s.files()) {
      if (!f.startsWith(prefix)) continue
      const rest = f.slice(prefix.length).split('/')
      out.set(rest[0], rest.length > 1 ? vscode.FileType.Directory : vscode.FileType.File)
    }
    return [...out]
  }

  createDirectory(): void {
    // Folders exist through the files in them.
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const s = this.need()
    await s.whenSynced()
    const t = s.text(pathOf(uri) ?? '')
    if (!t) throw vscode.FileSystemError.FileNotFound(uri)
    return Buffer.from(t.toString(), 'utf8')
  }

  writeFile(uri: vscode.Uri, content: Uint8Array, options: { create: boolean; overwrite: boolean }): void {
    const s = this.need()
    if (s.readOnly) throw vscode.FileSystemError.NoPermissions('this room link is read-only')
    const path = pathOf(uri) ?? ''
    const text = Buffer.from(content).toString('utf8')
    const existing = s.text(path)
    if (!existing) {
      if (!options.create) throw vscode.FileSystemError.FileNotFound(uri)
      const err = s.createFile(path, text)
      if (err) throw vscode.FileSystemError.NoPermissions(`cannot create ${path}: ${err}`)
      return
    }
    if (!options.overwrite) throw vscode.FileSystemError.FileExists(uri)
    if (this.isBound(path)) return // live already
    const old = existing.toString()
    s.doc.transact(() => {
      const segs = segments(old, text)
      for (let i = segs.length - 1; i >= 0; i--) {
        const g = segs[i]
        if (g.equal) continue
        if (g.oldTo > g.oldFrom) existing.delete(g.oldFrom, g.oldTo - g.oldFrom)
        if (g.newTo > g.newFrom) existing.insert(g.oldFrom, text.slice(g.newFrom, g.newTo))
      }
    })
  }

  delete(uri: vscode.Uri): void {
    const s = this.need()
    const path = pathOf(uri) ?? ''
    s.doc.transact(() => {
      for (const f of s.files()) if (f === path || f.startsWith(path + '/')) s.doc.getMap('files').delete(f)
    })
  }

  rename(from: vscode.Uri, to: vscode.Uri, options: { overwrite: boolean }): void {
    const s = this.need()
    const a = pathOf(from) ?? ''
    const b = pathOf(to) ?? ''
    const t = s.text(a)
    if (!t) throw vscode.FileSystemError.FileNotFound(from)
    if (s.text(b) && !options.overwrite) throw vscode.FileSystemError.FileExists(to)
    const contents = t.toString()
    s.doc.transact(() => {
      s.doc.getMap('files').delete(a)
      s.doc.getMap('files').delete(b)
      s.createFile(b, contents)
    })
  }
}
