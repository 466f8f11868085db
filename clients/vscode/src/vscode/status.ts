// The status bar item: room, connection state, people count, read-only.
import * as vscode from 'vscode'
import type { RoomSession } from '../sync/room'

export class StatusItem implements vscode.Disposable {
  private item = vscode.window.createStatusBarItem('tandem.status', vscode.StatusBarAlignment.Left, 100)
  private offs: (() => void)[] = []

  constructor() {
    this.item.name = 'Tandem'
    this.show(null)
  }

  show(session: RoomSession | null) {
    for (const off of this.offs) off()
    this.offs = []
    if (session) {
      const update = () => this.render(session)
      this.offs.push(session.on('status', update), session.on('people', update), session.on('closed', update))
      update()
    } else {
      this.item.text = '$(broadcast) Tandem'
      this.item.tooltip = 'Join a Tandem room'
      this.item.command = 'tandem.join'
      this.item.show()
    }
  }

  private render(s: RoomSession) {
    const people = s.people().length
    const state = s.fatal ? 'closed' : s.status === 'connected' && !s.synced ? 'syncing' : s.status
    const icon = state === 'connected' ? '$(broadcast)' : state === 'closed' ? '$(error)' : '$(sync~spin)'
    const ro = s.readOnly ? ' $(lock) read-only' : ''
    this.item.text = `${icon} ${s.link.room} · ${state} · $(person) ${people}${ro}`
    this.item.tooltip = `Tandem room ${s.link.room} on ${s.link.origin} as ${s.name}${s.fatal ? `\n${s.fatal}` : ''}`
    this.item.command = 'tandem.follow'
    this.item.show()
  }

  dispose() {
    for (const off of this.offs) off()
    this.item.dispose()
  }
}
