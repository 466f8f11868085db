// The VS Code extension's entry: maps commands, views and editor events onto the sync module
// (src/sync, which knows nothing of VS Code) through the small adapters in src/vscode.
import * as vscode from 'vscode'
import WebSocket from 'ws'
import { RoomSession } from './sync/room'
import { parseLink } from './sync/link'
import { runOutcome, runnable } from '../../web/src/lib/schema'
import { TandemFs } from './vscode/fs'
import { Documents } from './vscode/documents'
import { Decorations } from './vscode/decorations'
import { StatusItem } from './vscode/status'
import { FilesView } from './vscode/filesView'
import { ChatView } from './vscode/chatView'
import { SCHEME, pathOf, uriOf } from './vscode/uri'

let session: RoomSession | null = null
let perSession: vscode.Disposable[] = []
let following: number | null = null

export function activate(context: vscode.ExtensionContext) {
  const log = vscode.window.createOutputChannel('Tandem')
  const runOut = vscode.window.createOutputChannel('Tandem Run')
  let documents: Documents | null = null
  const fs = new TandemFs((p) => documents?.isBound(p) ?? false)
  const status = new StatusItem()
  const filesView = new FilesView()
  const chatView = new ChatView()
  context.subscriptions.push(
    log,
    runOut,
    status,
    filesView,
    chatView,
    vscode.workspace.registerFileSystemProvider(SCHEME, fs, { isCaseSensitive: true }),
    vscode.window.registerTreeDataProvider('tandem.files', filesView),
    vscode.window.registerWebviewViewProvider('tandem.chat', chatView, { webviewOptions: { retainContextWhenHidden: true } })
  )

  const leave = () => {
    for (const d of perSession) d.dispose()
    perSession = []
    documents = null
    following = null
    fs.setSession(null)
    filesView.setSession(null)
    chatView.setSession(null)
    status.show(null)
    session?.leave()
    session = null
    void vscode.commands.executeCommand('setContext', 'tandem.joined', false)
  }

  const need = (): RoomSession => {
    if (!session) throw new Error('Join a room first ("Tandem: Join Room").')
    return session
  }

  const openFile = async (path: string) => {
    const doc = await vscode.workspace.openTextDocument(uriOf(path))
    return vscode.window.showTextDocument(doc, { preview: false })
  }

  const command = (id: string, fn: (...args: never[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: never[]) => {
        try {
          return await fn(...args)
        } catch (e) {
          void vscode.window.showErrorMessage(`Tandem: ${e instanceof Error ? e.message : e}`)
        }
      })
    )

  command('tandem.join', async (given?: string) => {
    const input =
      given ??
      (await vscode.window.showInputBox({
        title: 'Tandem: Join Room',
        prompt: 'Room link',
        placeHolder: 'http://127.0.0.1:8787/r/demo#token=eyJ...',
        ignoreFocusOut: true,
        validateInput: (v) => (parseLink(v) ? null : 'A room link looks like http://host/r/{room}#token=...')
      }))
    if (!input) return
    const link = parseLink(input)
    if (!link) throw new Error('not a room link')
    leave()
    const name = vscode.workspace.getConfiguration('tandem').get<string>('name') || undefined
    const s = RoomSession.join(link, { name, WebSocketPolyfill: WebSocket })
    session = s
    status.show(s)
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Tandem: joining ${link.room}…` },
      () => s.whenSynced()
    )
    if (session !== s) return
    fs.setSession(s)
    filesView.setSession(s)
    chatView.setSession(s)
    documents = new Documents(s, log)
    perSession.push(documents, new Decorations(s))
    const offFollow = s.on('people', () => followStep())
    const offClosed = s.on('closed', () => void vscode.window.showErrorMessage(`Tandem: ${s.fatal}`))
    perSession.push(new vscode.Disposable(() => (offFollow(), offClosed())))
    void vscode.commands.executeCommand('setContext', 'tandem.joined', true)
    log.appendLine(`joined ${link.room} on ${link.origin} as ${s.name}${s.readOnly ? ' (read-only)' : ''}`)
    vscode.window.setStatusBarMessage(`Tandem: joined ${link.room}`, 4000)
    const files = s.files()
    const first = files.find((f) => /^main\./.test(f)) ?? files[0]
    if (first && vscode.workspace.getConfiguration('tandem').get<boolean>('openOnJoin', true)) await openFile(first)
  })

  command('tandem.leave', () => leave())

  command('tandem.openFile', async (given?: string) => {
    const s = need()
    const path = given ?? (await vscode.window.showQuickPick(s.files(), { title: 'Tandem: Open Room File' }))
    if (path) await openFile(path)
  })

  command('tandem.newFile', async () => {
    const s = need()
    const path = await vscode.window.showInputBox({ title: 'Tandem: New Room File', prompt: 'Path (e.g. src/app.py)' })
    if (!path) return
    const err = s.createFile(path)
    if (err) throw new Error(`cannot create ${path}: ${err}`)
    await openFile(path)
  })

  command('tandem.ask', async (given?: string) => {
    const s = need()
    const prompt = given ?? (await vscode.window.showInputBox({ title: 'Tandem: Ask Claude', prompt: 'Ask Claude (posted to the room chat)' }))
    if (!prompt?.trim()) return
    s.ask(prompt)
    chatView.reveal()
  })

  command('tandem.run', async (given?: string) => {
    const s = need()
    const active = vscode.window.activeTextEditor
    const path = active ? pathOf(active.document.uri) : null
    const entry = given ?? (path && runnable(path) ? path : undefined)
    const started = await s.run(entry)
    runOut.show(true)
    runOut.appendLine(`▶ run ${started.id}: ${started.entry}`)
    let atLineStart = true
    s.followRun(
      started.id,
      (chunk) => {
        runOut.append(chunk)
        atLineStart = chunk.endsWith('\n')
      },
      (run) => {
        const took = run.durationMs != null ? ` in ${(run.durationMs / 1000).toFixed(1)} s` : ''
        runOut.appendLine(`${atLineStart ? '' : '\n'}■ ${runOutcome(run)}${took}`)
      }
    )
  })

  const followStep = () => {
    if (!session || following === null) return
    const p = session.people().find((x) => x.clientId === following)
    if (!p) {
      following = null
      vscode.window.setStatusBarMessage('Tandem: stopped following (they left)', 3000)
      return
    }
    if (p.file === null || p.head === null) return
    const head = p.head
    const ed = vscode.window.visibleTextEditors.find((e) => pathOf(e.document.uri) === p.file)
    const reveal = (e: vscode.TextEditor) => {
      const pos = e.document.positionAt(head)
      e.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport)
    }
    if (ed) reveal(ed)
    else if (session.text(p.file)) {
      void vscode.workspace.openTextDocument(uriOf(p.file)).then((d) =>
        vscode.window.showTextDocument(d, { preserveFocus: true, preview: false }).then(reveal)
      )
    }
  }

  command('tandem.follow', async () => {
    const s = need()
    const items = s
      .people()
      .filter((p) => !p.self)
      .map((p) => ({
        label: p.name,
        description: [p.kind === 'ai' ? 'Claude' : '', p.status ?? '', p.file ?? ''].filter(Boolean).join(' · '),
        id: p.clientId as number | null
      }))
    if (following !== null) items.unshift({ label: 'Stop following', description: '', id: null })
    const pick = await vscode.window.showQuickPick(items, { title: 'Tandem: Follow' })
    if (!pick) return
    following = pick.id
    followStep()
  })

  command('tandem.showChat', () => chatView.reveal())
  void vscode.commands.executeCommand('setContext', 'tandem.joined', false)
  context.subscriptions.push(new vscode.Disposable(leave))
}

export function deactivate() {
  for (const d of perSession) d.dispose()
  session?.leave()
  session = null
}
