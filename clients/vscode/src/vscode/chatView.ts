// The Chat webview view: the room's messages, Claude's reply streaming in with its status, and a
// box to post (a message mentioning @claude asks Claude).
import * as vscode from 'vscode'
import type { RoomSession } from '../sync/room'
import { isRunningTurn } from '../../../web/src/lib/schema'

export class ChatView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | null = null
  private session: RoomSession | null = null
  private off: (() => void) | null = null
  private timer: NodeJS.Timeout | null = null

  setSession(s: RoomSession | null) {
    this.off?.()
    this.session = s
    this.off = s ? s.on('chat', () => this.schedule()) : null
    this.schedule()
  }

  resolveWebviewView(view: vscode.WebviewView) {
    this.view = view
    view.webview.options = { enableScripts: true }
    view.webview.html = html()
    view.webview.onDidReceiveMessage((m: { type: string; text?: string }) => {
      if (m.type === 'ready') this.push()
      if (m.type === 'send' && m.text && this.session) this.session.post(m.text)
    })
    view.onDidDispose(() => (this.view = null))
  }

  reveal() {
    if (this.view) this.view.show(true)
    else void vscode.commands.executeCommand('tandem.chat.focus')
  }

  private schedule() {
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.push()
    }, 80)
  }

  private push() {
    if (!this.view) return
    const entries = (this.session?.chat() ?? []).slice(-200).map((e) => ({
      id: e.id,
      author: e.author,
      kind: e.kind,
      text: e.text,
      status: e.status,
      error: e.error,
      running: isRunningTurn(e)
    }))
    void this.view.webview.postMessage({ type: 'entries', joined: !!this.session, entries })
  }

  dispose() {
    this.off?.()
    if (this.timer) clearTimeout(this.timer)
  }
}

function html(): string {
  const nonce = Math.random().toString(36).slice(2)
  return `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}';">
<style>
body{font-family:var(--vscode-font-family);font-size:var(--vscode-font-size);color:var(--vscode-foreground);padding:0 6px;display:flex;flex-direction:column;height:100vh;margin:0}
#log{flex:1;overflow-y:auto}
.m{margin:6px 0;padding:4px 6px;border-radius:4px;white-space:pre-wrap;word-break:break-word}
.ai{background:var(--vscode-editor-inactiveSelectionBackground)}
.who{font-weight:bold;opacity:.85}.st{font-size:85%;opacity:.7;margin-left:6px}
.err{color:var(--vscode-errorForeground)}
form{display:flex;gap:4px;padding:6px 0}input{flex:1;background:var(--vscode-input-background);color:var(--vscode-input-foreground);border:1px solid var(--vscode-input-border,transparent);padding:4px}
</style></head><body>
<div id="log"><p id="empty">Join a room to chat.</p></div>
<form id="f"><input id="t" placeholder="Message (@claude to ask Claude)"><button>Send</button></form>
<script nonce="${nonce}">
const vs = acquireVsCodeApi(); const log = document.getElementById('log');
window.addEventListener('message', (ev) => {
  const m = ev.data; if (m.type !== 'entries') return;
  const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 20;
  log.replaceChildren();
  if (!m.entries.length) { const p = document.createElement('p'); p.textContent = m.joined ? 'No messages yet.' : 'Join a room to chat.'; log.append(p) }
  for (const e of m.entries) {
    const d = document.createElement('div'); d.className = 'm ' + e.kind; d.dataset.id = e.id; d.dataset.status = e.status || '';
    const w = document.createElement('span'); w.className = 'who'; w.textContent = e.author; d.append(w);
    if (e.kind === 'ai' && e.status) { const s = document.createElement('span'); s.className = 'st'; s.textContent = (e.running ? '⋯ ' : '') + e.status; d.append(s) }
    const t = document.createElement('div'); t.className = 'text'; t.textContent = e.text; d.append(t);
    if (e.error) { const x = document.createElement('div'); x.className = 'err'; x.textContent = e.error; d.append(x) }
    log.append(d);
  }
  if (stick) log.scrollTop = log.scrollHeight;
});
document.getElementById('f').addEventListener('submit', (ev) => { ev.preventDefault(); const i = document.getElementById('t'); if (i.value.trim()) vs.postMessage({type:'send', text:i.value}); i.value=''; });
vs.postMessage({type:'ready'});
</script></body></html>`
}
