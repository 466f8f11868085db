// The "Room Files" tree: the room's files as folders and files; a click opens `tandem:/path`.
import * as vscode from 'vscode'
import type { RoomSession } from '../sync/room'
import { uriOf } from './uri'

interface Node {
  path: string
  name: string
  folder: boolean
}

export class FilesView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private emitter = new vscode.EventEmitter<void>()
  readonly onDidChangeTreeData = this.emitter.event
  private session: RoomSession | null = null
  private off: (() => void) | null = null

  setSession(s: RoomSession | null) {
    this.off?.()
    this.session = s
    this.off = s ? s.on('files', () => this.emitter.fire()) : null
    this.emitter.fire()
  }

  getChildren(parent?: Node): Node[] {
    if (!this.session) return []
    const prefix = parent ? parent.path + '/' : ''
    const out = new Map<string, Node>()
    for (const f of this.session.files()) {
      if (!f.startsWith(prefix)) continue
      const rest = f.slice(prefix.length).split('/')
      const folder = rest.length > 1
      const key = (folder ? '0' : '1') + rest[0]
      out.set(key, { path: prefix + rest[0], name: rest[0], folder })
    }
    return [...out.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, n]) => n)
  }

  getTreeItem(n: Node): vscode.TreeItem {
    const item = new vscode.TreeItem(
      n.name,
      n.folder ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None
    )
    item.resourceUri = uriOf(n.path)
    item.id = n.path
    if (!n.folder) item.command = { command: 'tandem.openFile', title: 'Open', arguments: [n.path] }
    return item
  }

  dispose() {
    this.off?.()
    this.emitter.dispose()
  }
}
