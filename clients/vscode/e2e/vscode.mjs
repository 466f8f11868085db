// The extension in real VS Code: code-server 4.100.3 (installed by e2e/install-code-server.sh)
// with tandem-vscode.vsix installed, driven in Debian's Chromium by playwright-core. F1 → "Tandem:
// Join Room" → the link; the room's main.py opens; a stock y-websocket peer's edit appears in
// Monaco, typed text reaches the peer, the peer's cursor label shows, the status bar names the room.
// Env: TANDEM_URL, ROOM, TOKEN, PEER_TOKEN (run by tests/e2e/vscode.rs). Prints JSON lines.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'

const here = dirname(fileURLToPath(import.meta.url))
const top = join(here, '..')
const codeServer = join(top, '.code-server/node_modules/.bin/code-server')
const env = (k) => process.env[k] ?? fail('setup', `${k} is not set`)
const base = env('TANDEM_URL')
const room = env('ROOM')
const link = `${base}/r/${encodeURIComponent(room)}#token=${env('TOKEN')}`
const t0 = Date.now()
let server = null
let browser = null
let page = null
let serverLog = ''
const shots = process.env.OUT_DIR ?? join(top, 'e2e-out')

function report(o) {
  process.stdout.write(JSON.stringify({ ...o, at_ms: Date.now() - t0 }) + '\n')
}
async function fail(step, msg) {
  console.error(`FAILED at ${step}: ${msg}`)
  if (page) {
    mkdirSync(shots, { recursive: true })
    await page.screenshot({ path: join(shots, 'failure.png') }).catch(() => {})
    console.error(`screenshot: ${join(shots, 'failure.png')}`)
  }
  console.error(`code-server log (tail): ${serverLog}`)
  cleanup()
  process.exit(1)
}
function cleanup() {
  if (server && server.exitCode === null) {
    try {
      process.kill(-server.pid, 'SIGKILL') // its extension hosts too (they outlive the browser)
    } catch {}
  }
}
async function until(step, what, check, ms = 30000) {
  const end = Date.now() + ms
  let last
  for (;;) {
    try {
      last = await check()
      if (last) return last
    } catch (e) {
      last = e
    }
    if (Date.now() > end) await fail(step, `timed out waiting for ${what} (last: ${last})`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })

// ---- a fresh code-server with the .vsix ----
const dir = mkdtempSync(join(tmpdir(), 'tandem-vscode-e2e-'))
const user = join(dir, 'user')
const exts = join(dir, 'ext')
const work = join(dir, 'work')
mkdirSync(join(user, 'User'), { recursive: true })
mkdirSync(work)
writeFileSync(
  join(user, 'User/settings.json'),
  JSON.stringify({
    'workbench.startupEditor': 'none',
    'security.workspace.trust.enabled': false,
    'workbench.tips.enabled': false,
    'editor.autoClosingBrackets': 'never',
    'editor.autoClosingQuotes': 'never',
    'editor.autoIndent': 'none',
    'editor.acceptSuggestionOnEnter': 'off',
    'editor.quickSuggestions': { other: false, comments: false, strings: false },
    'files.hotExit': 'off',
    'tandem.name': 'Vic'
  })
)
let t = Date.now()
execFileSync(codeServer, ['--user-data-dir', user, '--extensions-dir', exts, '--install-extension', join(top, 'tandem-vscode.vsix')], {
  stdio: ['ignore', 'ignore', 'inherit']
})
report({ step: 'installed', ms: Date.now() - t })
const port = await freePort()
writeFileSync(join(dir, 'config.yaml'), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`)
server = spawn(
  codeServer,
  ['--config', join(dir, 'config.yaml'), '--user-data-dir', user, '--extensions-dir', exts, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', work],
  { detached: true, stdio: ['ignore', 'ignore', 'pipe'] }
)
server.stderr.on('data', (d) => (serverLog = (serverLog + d).slice(-4000)))
process.on('exit', cleanup)
await until('code-server', 'code-server to listen', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok)

// ---- the stock peer ----
const doc = new Y.Doc()
const peer = new WebsocketProvider(`${base.replace(/^http/, 'ws')}/sync`, room, doc, {
  params: { token: env('PEER_TOKEN') },
  WebSocketPolyfill: WebSocket
})
peer.awareness.setLocalStateField('user', { name: 'Peer', color: '#22c55e', kind: 'human' })
await until('peer', 'the peer to sync', () => peer.synced)
const mainPy = () => doc.getMap('files').get('main.py')

// ---- the workbench ----
browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run']
})
page = await (await browser.newContext({ viewport: { width: 1400, height: 1400 } })).newPage()
t = Date.now()
await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(work)}`)
await page.locator('.monaco-workbench').waitFor({ timeout: 60000 })
await page.locator('.statusbar').waitFor({ timeout: 60000 })
report({ step: 'workbench', ms: Date.now() - t })

// F1 → Tandem: Join Room → the link.
t = Date.now()
const quick = page.locator('.quick-input-widget')
const quickInput = page.locator('.quick-input-widget input.input')
// The palette lists the extension's commands once the extension host has read its manifest.
await until('join', 'Tandem: Join Room in the command palette', async () => {
  await page.keyboard.press('Escape')
  await page.keyboard.press('F1')
  await quick.waitFor({ state: 'visible', timeout: 2000 })
  await quickInput.fill('>Tandem: Join Room')
  await page.waitForTimeout(300)
  return (await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Tandem: Join Room' }).count()) > 0
}, 60000)
await page.keyboard.press('Enter')
await until('join', 'the link input box', async () =>
  (await quick.isVisible()) && ((await quick.textContent()) ?? '').includes('Room link')
)
await quickInput.fill(link)
await page.keyboard.press('Enter')
const lines = page.locator('.editor-instance .monaco-editor .view-lines').first()
/** Every rendered line of the editor in order (the file fits the viewport), joined by newlines. */
const modelText = () =>
  page.evaluate(() => {
    const rows = [...document.querySelectorAll('.editor-instance .monaco-editor .view-lines .view-line')]
    rows.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
    return rows.map((r) => r.textContent.replace(/\u00a0/g, ' ')).join('\n')
  })
const editorText = async () => ((await lines.innerText()) ?? '').replace(/\u00a0/g, ' ')
await until('join', 'main.py open in Monaco', async () => (await editorText()).includes("print('hello from tandem')"))
report({ step: 'joined', ms: Date.now() - t })

const status = await until('status', 'the status bar item', async () => {
  const s = await page.locator('.statusbar-item', { hasText: room }).first().textContent({ timeout: 1000 })
  return s && s.includes('connected') ? s.trim() : null
})
report({ step: 'status', text: status })

// ---- a peer edit appears in Monaco ----
t = Date.now()
mainPy().insert(0, '# from the peer\n')
await until('remote', 'the peer edit in Monaco', async () => (await editorText()).includes('# from the peer'))
report({ step: 'remote edit', ms: Date.now() - t })

// ---- typing in VS Code reaches the peer ----
await page.locator('.editor-instance .monaco-editor .view-lines').first().click()
await page.keyboard.press('Control+End')
t = Date.now()
await page.keyboard.type('# typed in vscode ✓\n', { delay: 20 })
await until('local', 'the typed text at the peer', () => mainPy().toString().includes('# typed in vscode ✓\n'))
report({ step: 'local edit', ms: Date.now() - t, text: mainPy().toString() })

// Concurrent: the peer types at the top while the person types at the end.
mainPy().insert(0, '# peer again\n')
await page.keyboard.type('# more\n', { delay: 5 })
await until('both', 'both edits everywhere', async () => {
  const s = mainPy().toString()
  const e = await editorText()
  return s.includes('# peer again') && s.includes('# more') && e.includes('# peer again') && e.includes('# more')
})
report({ step: 'concurrent', text: mainPy().toString() })

// ---- both type at once: the peer every 25 ms at the top, the person at the end ----
const peerLines = []
let typing = true
const peerTyping = (async () => {
  for (let i = 0; typing || i < 10; i++) {
    const line = `# peer line ${i}\n`
    mainPy().insert(0, line)
    peerLines.push(line)
    await new Promise((r) => setTimeout(r, 25))
  }
})()
await page.keyboard.type('# racing along with the peer\n', { delay: 10 })
typing = false
await peerTyping
const converged = await until('race', 'the editor and the room to converge', async () => {
  const room = mainPy().toString()
  const shown = await modelText()
  return shown === room && room.includes('# racing along with the peer\n') && peerLines.every((l) => room.includes(l)) ? room : null
})
report({ step: 'typing together', peer_lines: peerLines.length, text: converged })

// ---- the peer's cursor shows with its name ----
const rel = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(mainPy(), 3))
peer.awareness.setLocalStateField('cursor', { file: 'main.py', anchor: rel, head: rel })
const label = await until('cursor', 'the peer cursor label', () =>
  page.evaluate(() => {
    for (const el of document.querySelectorAll('.monaco-editor .view-overlays *, .monaco-editor .view-lines span, .monaco-editor .contentWidgets *')) {
      const c = getComputedStyle(el, '::after').content
      if (c && c.includes('Peer')) return c
    }
    return null
  })
)
report({ step: 'cursor', label })

// ---- a palette command with an input box ----
async function palette(step, title, input) {
  await until(step, `${title} in the command palette`, async () => {
    await page.keyboard.press('Escape')
    await page.keyboard.press('F1')
    await quick.waitFor({ state: 'visible', timeout: 2000 })
    await quickInput.fill('>' + title)
    await page.waitForTimeout(200)
    return (await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).count()) > 0
  })
  await page.keyboard.press('Enter')
  if (input !== undefined) {
    await until(step, 'the input box', async () => (await quick.isVisible()) && (await quickInput.inputValue()) === '')
    await quickInput.fill(input)
    await page.keyboard.press('Enter')
  }
}

// ---- Ask Claude posts "@claude ..."; a reply streams into the Chat view ----
const chat = doc.getArray('chat')
await palette('ask', 'Tandem: Ask Claude', 'what does main.py print?')
const asked = await until('ask', 'the question in the room', () =>
  chat.toArray().find((m) => m.get('text')?.toString() === '@claude what does main.py print?')
)
report({ step: 'asked', author: asked.get('author') })
const reply = new Y.Map()
const replyText = new Y.Text('')
doc.transact(() => {
  reply.set('id', 'r1')
  reply.set('author', 'Claude')
  reply.set('kind', 'ai')
  reply.set('reply_to', asked.get('id'))
  reply.set('status', 'streaming')
  reply.set('text', replyText)
  chat.push([reply])
})
replyText.insert(0, 'It prints a ')
const chatFrame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame')
const aiEntry = chatFrame.locator('.m.ai').last()
await until('chat', 'the streaming reply in the Chat view', async () =>
  ((await aiEntry.textContent({ timeout: 1000 })) ?? '').includes('streaming')
)
replyText.insert(replyText.length, 'greeting.')
reply.set('status', 'done')
const shown = await until('chat', 'the finished reply in the Chat view', async () => {
  const t = (await aiEntry.textContent({ timeout: 1000 })) ?? ''
  return t.includes('It prints a greeting.') && t.includes('done') ? t : null
})
report({ step: 'chat', shown })

// ---- Run: output in the Tandem Run channel ----
await page.locator('.editor-instance .monaco-editor .view-lines').first().click()
await palette('run', 'Tandem: Run')
const runOut = await until('run', 'the run output in the output panel', async () => {
  const t = ((await page.locator('.output-view .view-lines, .panel .view-lines').first().innerText({ timeout: 1000 })) ?? '').replace(/\u00a0/g, ' ')
  return t.includes('hello from tandem') && t.includes('exit 0') ? t : null
})
report({ step: 'run', output: runOut })

mkdirSync(shots, { recursive: true })
await page.screenshot({ path: join(shots, 'vscode.png') })
await browser.close()
peer.destroy()
doc.destroy()
cleanup()
rmSync(dir, { recursive: true, force: true })
report({ step: 'done', total_ms: Date.now() - t0 })
process.exit(0)
