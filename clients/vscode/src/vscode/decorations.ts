// Remote cursors and selections (a coloured caret with the person's name after it) and Claude's
// leased range (tinted, labelled) as editor decorations on every visible `tandem:` editor.
import * as vscode from 'vscode'
import type { RoomSession } from '../sync/room'
import { leasesOn } from '../../../web/src/lib/presence'
import { pathOf } from './uri'

interface Styles {
  caret: vscode.TextEditorDecorationType
  selection: vscode.TextEditorDecorationType
  lease: vscode.TextEditorDecorationType
}

export class Decorations implements vscode.Disposable {
  private styles = new Map<string, Styles>()
  private timer: NodeJS.Timeout | null = null
  private subs: vscode.Disposable[] = []
  private offs: (() => void)[] = []

  constructor(private session: RoomSession) {
    this.offs.push(session.on('people', () => this.schedule()))
    this.subs.push(vscode.window.onDidChangeVisibleTextEditors(() => this.schedule()))
    // Leases expire by time.
    const tick = setInterval(() => this.schedule(), 1000)
    this.subs.push(new vscode.Disposable(() => clearInterval(tick)))
    this.schedule()
  }

  private style(color: string): Styles {
    let s = this.styles.get(color)
    if (!s) {
      s = {
        caret: vscode.window.createTextEditorDecorationType({
          borderStyle: 'solid',
          borderColor: color,
          borderWidth: '0 0 0 2px',
          after: { color: '#ffffff', backgroundColor: color, margin: '0 0 0 2px', fontWeight: 'bold' },
          rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed
        }),
        selection: vscode.window.createTextEditorDecorationType({ backgroundColor: color + '33' }),
        lease: vscode.window.createTextEditorDecorationType({
          backgroundColor: color + '22',
          border: `1px dashed ${color}`,
          after: { color, margin: '0 0 0 1em', fontStyle: 'italic' }
        })
      }
      this.styles.set(color, s)
    }
    return s
  }

  private schedule() {
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.render()
    }, 30)
  }

  render() {
    const people = this.session.people().filter((p) => !p.self)
    const now = Date.now()
    for (const ed of vscode.window.visibleTextEditors) {
      const path = pathOf(ed.document.uri)
      if (path === null) continue
      const per = new Map<string, { caret: vscode.DecorationOptions[]; sel: vscode.Range[]; lease: vscode.DecorationOptions[] }>()
      const bucket = (color: string) => {
        let b = per.get(color)
        if (!b) per.set(color, (b = { caret: [], sel: [], lease: [] }))
        return b
      }
      const pos = (o: number) => ed.document.positionAt(o)
      for (const p of people) {
        if (p.file === path && p.head !== null) {
          const head = pos(p.head)
          bucket(p.color).caret.push({
            range: new vscode.Range(head, head),
            hoverMessage: `${p.name}${p.kind === 'ai' ? ' (Claude)' : ''}`,
            renderOptions: { after: { contentText: `\u2009${p.name}\u2009` } }
          })
          if (p.anchor !== null && p.anchor !== p.head) {
            bucket(p.color).sel.push(new vscode.Range(pos(Math.min(p.anchor, p.head)), pos(Math.max(p.anchor, p.head))))
          }
        }
        for (const lease of leasesOn([p], path, now)) {
          bucket(p.color).lease.push({
            range: new vscode.Range(pos(lease.from), pos(lease.to)),
            hoverMessage: `${p.name} is editing this range`,
            renderOptions: { after: { contentText: `✎ ${p.name}${p.status ? ' · ' + p.status : ''}` } }
          })
        }
      }
      for (const color of per.keys()) this.style(color)
      for (const [color, s] of this.styles) {
        const b = per.get(color)
        ed.setDecorations(s.caret, b?.caret ?? [])
        ed.setDecorations(s.selection, b?.sel ?? [])
        ed.setDecorations(s.lease, b?.lease ?? [])
      }
    }
  }

  dispose() {
    if (this.timer) clearTimeout(this.timer)
    for (const off of this.offs) off()
    for (const s of this.subs) s.dispose()
    for (const s of this.styles.values()) {
      s.caret.dispose()
      s.selection.dispose()
      s.lease.dispose()
    }
  }
}
