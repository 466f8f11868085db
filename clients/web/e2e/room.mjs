// End-to-end tour of the room page in real Chromium (two people, a view link, Claude through
// claude-mock, the real runner): driven by tests/e2e/web.rs, which starts `tandem` and passes
// TANDEM_URL, ROOM, ADA_TOKEN, BOB_TOKEN, VIEW_TOKEN and OUT_DIR. Prints JSON lines; exits 1 on
// the first failed check. Budgets measured here: entry bundle size, time to interactive,
// keystroke latency between the two browsers.
import { mkdirSync, readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fail, launch, percentile, report, until } from './browser.mjs'

const env = (k) => process.env[k] ?? fail('setup', `${k} is not set`)
const base = env('TANDEM_URL')
const room = env('ROOM')
const outDir = env('OUT_DIR')
const keystrokes = Number(process.env.KEYSTROKES ?? 80)
mkdirSync(outDir, { recursive: true })
const link = (token) => `${base}/r/${encodeURIComponent(room)}#token=${token}`

// ---- the entry bundle, gzipped, as the browser downloads it ----
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const indexHtml = readFileSync(join(dist, 'index.html'), 'utf8')
const entry = /<script type="module" crossorigin src="\/(assets\/[^"]+\.js)"/.exec(indexHtml)?.[1] ?? fail('bundle', 'no entry script in dist/index.html')
const css = /<link rel="stylesheet" crossorigin href="\/(assets\/[^"]+\.css)"/.exec(indexHtml)?.[1]
const gz = (p) => gzipSync(readFileSync(join(dist, p)), { level: 9 }).length
const bundle = { entry_js_gzip_bytes: gz(entry), css_gzip_bytes: css ? gz(css) : 0 }
report({ step: 'bundle', ...bundle })

const browser = await launch()
const context = () => browser.newContext({ viewport: { width: 1440, height: 900 } })

/** The text of `path` in a page's replica. */
const fileIn = (page, path) =>
  page.evaluate((p) => window.__tandem?.session.doc.getMap('files').get(p)?.toString() ?? null, path)

async function open(page, token, step) {
  const t0 = Date.now()
  await page.goto(link(token))
  await page.locator('.cm-content[contenteditable="true"], .cm-content[contenteditable="false"]').first().waitFor({ timeout: 20000 })
  await until(step, 'the room to sync', () => page.evaluate(() => window.__tandem?.interactiveAt != null))
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0]
    const js = performance.getEntriesByType('resource').find((r) => /\/assets\/index-.*\.js$/.test(r.name))
    return {
      interactive_ms: window.__tandem.interactiveAt,
      synced_ms: window.__tandem.syncedAt,
      html_ms: nav?.responseEnd,
      entry_js_loaded_ms: js?.responseEnd,
      dom_content_loaded_ms: nav?.domContentLoadedEventEnd
    }
  })
  return { wall_ms: Date.now() - t0, ...timing }
}

// ---- two people open the room ----
const ada = await (await context()).newPage()
const bob = await (await context()).newPage()
const errors = []
for (const [who, page] of [['ada', ada], ['bob', bob]]) {
  page.on('pageerror', (e) => errors.push(`${who}: ${e.message}`))
}
const adaOpen = await open(ada, env('ADA_TOKEN'), 'ada opens')
// Time to interactive: the editor is mounted on synced content and accepts a keystroke.
await ada.locator('.cm-content').click()
await ada.keyboard.press('End')
const typedAt = await ada.evaluate(() => performance.now())
await ada.keyboard.type('#')
await until('ada types', 'her first keystroke', async () => (await fileIn(ada, 'main.py'))?.includes('#'))
const firstKeyMs = await ada.evaluate(() => performance.now())
report({ step: 'interactive', ...adaOpen, first_keystroke_applied_ms: firstKeyMs, typed_at_ms: typedAt })
const bobOpen = await open(bob, env('BOB_TOKEN'), 'bob opens')
report({ step: 'bob opens', ...bobOpen })
await until('presence', 'both people in each presence bar', async () =>
  (await ada.locator('[data-testid=presence-user][data-name="Bob"]').count()) === 1 &&
  (await bob.locator('[data-testid=presence-user][data-name="Ada"]').count()) === 1
)

// ---- each sees the other's typing and cursor ----
await bob.locator('.cm-content').click()
await bob.keyboard.press('Control+Home')
await bob.keyboard.type('# bob was here\n')
await until('typing', "Bob's line at Ada", async () => (await fileIn(ada, 'main.py'))?.startsWith('# bob was here\n'))
await until('typing', "Bob's line on Ada's screen", async () => (await ada.locator('.cm-content').innerText()).includes('# bob was here'))
await ada.locator('.cm-content').click()
await ada.keyboard.press('Control+End')
await ada.keyboard.type('\n# ada too')
await until('typing', "Ada's line on Bob's screen", async () => (await bob.locator('.cm-content').innerText()).includes('# ada too'))
await until('cursors', "Bob's cursor with his name at Ada", async () => (await ada.locator('.cm-ySelectionInfo', { hasText: 'Bob' }).count()) === 1)
await until('cursors', "Ada's cursor with her name at Bob", async () => (await bob.locator('.cm-ySelectionInfo', { hasText: 'Ada' }).count()) === 1)
report({ step: 'typing and cursors', ok: true })

// ---- keystroke latency: Ada types, Bob's editor DOM shows it ----
await ada.keyboard.press('Control+End')
await ada.keyboard.type('\n# ')
await until('latency', 'the latency line at Bob', async () => (await fileIn(bob, 'main.py'))?.endsWith('\n# '))
await bob.evaluate(() => {
  const content = document.querySelector('.cm-content')
  const arrivals = []
  const countX = () => {
    const lines = window.__tandem.view().state.doc.toString().split('\n')
    return (lines[lines.length - 1].match(/x/g) ?? []).length
  }
  let seen = countX()
  new MutationObserver(() => {
    const n = countX()
    const now = performance.timeOrigin + performance.now()
    while (seen < n) arrivals[seen++] = now
  }).observe(content, { childList: true, subtree: true, characterData: true })
  window.__arrivals = arrivals
})
await ada.evaluate(() => {
  window.__sent = []
  document.addEventListener('keydown', (e) => e.key === 'x' && window.__sent.push(performance.timeOrigin + e.timeStamp), true)
})
for (let i = 0; i < keystrokes; i++) {
  await ada.keyboard.press('x')
  await new Promise((r) => setTimeout(r, 20))
}
await until('latency', 'every keystroke at Bob', async () => (await bob.evaluate(() => window.__arrivals.length)) >= keystrokes)
const sent = await ada.evaluate(() => window.__sent)
const arrived = await bob.evaluate(() => window.__arrivals)
const lat = sent.map((s, i) => arrived[i] - s)
const keystroke = {
  keystrokes: lat.length,
  p50_ms: +percentile(lat, 50).toFixed(2),
  p95_ms: +percentile(lat, 95).toFixed(2),
  max_ms: +Math.max(...lat).toFixed(2)
}
if (lat.some((x) => !(x >= 0))) fail('latency', `bad samples ${JSON.stringify(lat)}`)
report({ step: 'keystroke latency', ...keystroke })

// ---- @claude: the reply streams and the edit reaches both ----
await ada.locator('[data-testid=chat-input]').fill('@claude please make the greeting warmer')
await ada.keyboard.press('Enter')
const aiMsg = (page) => page.locator('[data-testid=chat-message][data-kind=ai]').last()
await until('claude', 'a partial reply streaming at Bob', async () => {
  const status = await aiMsg(bob).getAttribute('data-status')
  const text = await aiMsg(bob).locator('[data-testid=chat-text]').innerText()
  return ['streaming', 'editing'].includes(status) && text.length > 0 && !text.includes('Done')
})
// While Claude edits main.py (open at Bob), Bob sees its status and its leased range.
await until('claude', "Claude's leased range and status at Bob while it edits", async () =>
  (await bob.locator('.cm-claude-lease-label').count()) === 1 &&
  (await bob.locator('[data-testid=presence-user][data-kind=ai]').getAttribute('data-status')) === 'editing'
)
await until('claude', 'the turn to end', async () => (await aiMsg(ada).getAttribute('data-status')) === 'done', 30000)
await until('claude', 'the lease to go when the turn ends', async () => (await bob.locator('.cm-claude-lease-label').count()) === 0)
for (const [who, page] of [['ada', ada], ['bob', bob]]) {
  await until('claude', `the edit in ${who}'s editor`, async () => (await page.locator('.cm-content').innerText()).includes('hello, warmly'))
  await until('claude', `the model and cost at ${who}`, async () => {
    const meta = await aiMsg(page).locator('[data-testid=chat-meta]').innerText()
    return meta.includes('claude') && meta.includes('$')
  })
}
// Markdown: the inline code and bold render as such; the round after the edit is its own paragraph.
if ((await aiMsg(bob).locator('[data-testid=chat-text] code', { hasText: 'main.py' }).count()) !== 1) fail('claude', 'inline code not rendered')
if ((await aiMsg(bob).locator('[data-testid=chat-text] strong', { hasText: 'Run' }).count()) !== 1) fail('claude', 'bold not rendered')
const done = await aiMsg(bob).locator('[data-testid=chat-text] p', { hasText: 'Done' }).allInnerTexts()
if (done.length !== 1 || done[0].includes('Sure')) fail('claude', `the rounds run together: ${JSON.stringify(done)}`)
report({ step: 'claude', reply: await aiMsg(bob).locator('[data-testid=chat-text]').innerText() })

// ---- Run: output in both terminals ----
await ada.locator('[data-testid=run-button]').click()
for (const [who, page] of [['ada', ada], ['bob', bob]]) {
  await until('run', `the run's output at ${who}`, async () => {
    const run = page.locator('[data-testid=run-entry]').last()
    return (await run.getAttribute('data-status')) === 'exited' && (await run.locator('[data-testid=run-output]').innerText()).includes('hello, warmly')
  }, 30000)
  // The program's ANSI green reaches the terminal as colour, not escape codes.
  const green = page.locator('[data-testid=run-output] span', { hasText: 'all green' }).last()
  const color = await green.evaluate((el) => getComputedStyle(el).color)
  if (color !== 'rgb(34, 197, 94)') fail('run', `ANSI colour at ${who}: ${color}`)
  if ((await page.locator('[data-testid=run-output]').last().innerText()).includes('[32m')) fail('run', 'raw escape codes shown')
}
report({ step: 'run', ok: true })

// ---- preview: renders index.html, follows an edit, cannot reach the app ----
const frame = (page) => page.frameLocator('[data-testid=preview-frame]')
await until('preview', 'the page in the preview', async () => (await frame(ada).locator('#title').innerText()) === 'Hello preview')
// The frame reloads when files change: probe until one load answers.
const isolation = await until('preview', 'the isolation probe', async () => ada.frames().find((f) => f.url().includes('/preview/'))?.evaluate(() => {
  const tries = {}
  try {
    tries.parent = String(window.parent.location.hash)
  } catch {
    tries.parent = 'blocked'
  }
  try {
    tries.storage = String(window.localStorage.length)
  } catch {
    tries.storage = 'blocked'
  }
  return { origin: window.origin, ...tries }
}))
if (!isolation || isolation.origin !== 'null' || isolation.parent !== 'blocked' || isolation.storage !== 'blocked') {
  fail('preview', `the preview is not isolated: ${JSON.stringify(isolation)}`)
}
await bob.locator('[data-testid=file-item][data-path="index.html"]').click()
await until('preview', 'index.html open at Bob', async () => (await bob.locator('.cm-content').innerText()).includes('Hello preview'))
await bob.evaluate(() => {
  const t = window.__tandem.session.doc.getMap('files').get('index.html')
  const at = t.toString().indexOf('Hello preview')
  t.delete(at, 'Hello preview'.length)
  t.insert(at, 'Hello again')
})
await until('preview', 'the preview to follow the edit', async () => (await frame(ada).locator('#title').innerText()) === 'Hello again')
report({ step: 'preview', isolation })

// ---- follow, share, versions ----
await bob.locator('[data-testid=presence-user][data-name="Ada"]').click()
await until('follow', 'Bob following Ada back to main.py', async () =>
  (await bob.locator('[data-testid=follow-indicator]').count()) === 1 &&
  (await bob.locator('[data-testid=tab][data-active=true]').getAttribute('data-path')) === 'main.py'
)
await bob.locator('[data-testid=share-view]').click()
const viewLink = await bob.locator('[data-testid=share-link]').inputValue()
if (!viewLink.includes(`/r/${room}#token=`)) fail('share', `odd view link ${viewLink}`)
await ada.locator('[data-testid=versions-button]').click()
await ada.locator('[data-testid=version-label]').fill('after the tour')
await ada.locator('[data-testid=version-save]').click()
await until('versions', 'the saved version listed', async () => (await ada.locator('[data-testid=version-item]', { hasText: 'after the tour' }).count()) === 1)
await ada.locator('[data-testid=versions-button]').click()
report({ step: 'follow, share, versions', ok: true })

// ---- the file tree: create, rename, delete (everyone sees each), restore a version ----
for (const page of [ada, bob]) page.on('dialog', (d) => d.accept())
await ada.locator('[data-testid=new-file]').click()
await ada.locator('[data-testid=file-name-input]').fill('notes/todo.md')
await ada.keyboard.press('Enter')
await until('files', 'the new file at Bob', async () => (await bob.locator('[data-testid=file-item][data-path="notes/todo.md"]').count()) === 1)
await until('files', 'the new file open in a tab at Ada', async () => (await ada.locator('[data-testid=tab][data-active=true]').getAttribute('data-path')) === 'notes/todo.md')
await ada.locator('.cm-content').click()
await ada.keyboard.type('- [ ] ship it')
const todo = bob.locator('[data-testid=file-item][data-path="notes/todo.md"]')
await todo.hover()
await todo.locator('[data-testid=file-rename]').click()
await bob.locator('[data-testid=file-name-input]').fill('todo.md')
await bob.keyboard.press('Enter')
await until('files', 'the rename at Ada, her tab following it', async () =>
  (await ada.locator('[data-testid=file-item][data-path="todo.md"]').count()) === 1 &&
  (await ada.locator('[data-testid=tab][data-active=true]').getAttribute('data-path')) === 'todo.md' &&
  (await fileIn(ada, 'todo.md')) === '- [ ] ship it'
)
await ada.locator('[data-testid=versions-button]').click()
await until('versions', 'the version list', async () => (await ada.locator('[data-testid=version-item]', { hasText: 'after the tour' }).count()) === 1)
await ada.locator('[data-testid=version-item]', { hasText: 'after the tour' }).locator('[data-testid=version-restore]').click()
await until('versions', 'the restore to remove todo.md everywhere', async () =>
  (await bob.locator('[data-testid=file-item][data-path="todo.md"]').count()) === 0 && (await fileIn(ada, 'todo.md')) === null
)
await ada.locator('[data-testid=versions-button]').click()
await ada.locator('[data-testid=new-file]').click()
await ada.locator('[data-testid=file-name-input]').fill('scratch.txt')
await ada.keyboard.press('Enter')
const scratch = bob.locator('[data-testid=file-item][data-path="scratch.txt"]')
await scratch.waitFor()
await scratch.hover()
await scratch.locator('[data-testid=file-delete]').click()
await until('files', 'the deletion at Ada', async () => (await fileIn(ada, 'scratch.txt')) === null)
await ada.locator('[data-testid=file-item][data-path="main.py"]').click()
report({ step: 'files and restore', ok: true })

// ---- the screenshot: chat, editor with two cursors, terminal output, preview ----
await ada.locator('.cm-content').click()
await until('screenshot', "Bob's cursor at Ada", async () => (await ada.locator('.cm-ySelectionCaret').count()) >= 1)
const shot = join(outDir, 'room.png')
await ada.screenshot({ path: shot })
report({ step: 'screenshot', path: shot })

// ---- a view link: sees everything, cannot type, says so ----
const viewer = await (await context()).newPage()
viewer.on('pageerror', (e) => errors.push(`viewer: ${e.message}`))
await open(viewer, viewLink.split('#token=')[1], 'viewer opens')
await viewer.locator('[data-testid=readonly-banner]').waitFor()
const before = await fileIn(ada, 'main.py')
await viewer.locator('.cm-content').click()
await viewer.keyboard.type('should not land')
if ((await viewer.locator('.cm-content').getAttribute('contenteditable')) !== 'false') fail('view link', 'the editor is editable')
if (!(await viewer.locator('[data-testid=chat-input]').isDisabled())) fail('view link', 'the chat input is enabled')
if (!(await viewer.locator('[data-testid=run-button]').isDisabled())) fail('view link', 'Run is enabled')
await new Promise((r) => setTimeout(r, 300))
if ((await fileIn(viewer, 'main.py')) !== before || (await fileIn(ada, 'main.py')) !== before) fail('view link', 'text changed')
report({ step: 'view link', banner: await viewer.locator('[data-testid=readonly-banner]').innerText() })

// ---- a reload keeps everything ----
const beforeReload = await fileIn(bob, 'main.py')
await bob.reload()
await open(bob, env('BOB_TOKEN'), 'bob reloads')
await until('reload', 'the same text after reload', async () => (await fileIn(bob, 'main.py')) === beforeReload)
await until('reload', 'chat after reload', async () => (await bob.locator('[data-testid=chat-message][data-kind=ai]').count()) >= 1)
await until('reload', 'run output after reload', async () => (await bob.locator('[data-testid=run-output]').last().innerText()).includes('hello, warmly'))
report({ step: 'reload', ok: true })

// ---- Stop a streaming reply; reject the earlier turn ----
await ada.locator('[data-testid=chat-input]').fill('@claude tell a long story')
await ada.keyboard.press('Enter')
await until('stop', 'the story streaming at Bob', async () => (await aiMsg(bob).getAttribute('data-status')) === 'streaming')
await bob.locator('[data-testid=chat-stop]').click()
for (const [who, page] of [['ada', ada], ['bob', bob]]) {
  await until('stop', `the story stopped at ${who}`, async () => (await aiMsg(page).getAttribute('data-status')) === 'stopped')
}
const edited = bob.locator('[data-testid=chat-message][data-kind=ai][data-turn="1"]')
await edited.locator('[data-testid=chat-reject]').click()
await until('reject', 'turn 1 rejected at Ada', async () =>
  (await ada.locator('[data-testid=chat-message][data-kind=ai][data-turn="1"]').getAttribute('data-status')) === 'rejected'
)
await until('reject', "Claude's edit undone, people's edits kept", async () => {
  const t = await fileIn(ada, 'main.py')
  return t.includes("print('hello')") && !t.includes('warmly') && t.startsWith('# bob was here\n')
})
report({ step: 'stop and reject', notice: await bob.locator('[data-testid=chat-notice]').innerText() })

// ---- a phone-sized screen: the panes stack ----
const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage()
await open(phone, env('BOB_TOKEN'), 'phone opens')
const stacked = await phone.evaluate(() => {
  const r = (id) => document.querySelector(`[data-testid=${id}]`).getBoundingClientRect()
  return { narrow: document.querySelector('[data-testid=room]').dataset.narrow, editor: r('editor').top, chat: r('chat').top, width: r('chat').width }
})
if (stacked.narrow !== 'true' || !(stacked.chat > stacked.editor) || stacked.width > 390) fail('phone', JSON.stringify(stacked))
await phone.screenshot({ path: join(outDir, 'phone.png') })
report({ step: 'phone', ...stacked })

if (errors.length) fail('page errors', errors.join('\n'))
report({ step: 'budgets', ...bundle, ...adaOpen, keystroke_p95_ms: keystroke.p95_ms, keystroke_p50_ms: keystroke.p50_ms })
await browser.close()
