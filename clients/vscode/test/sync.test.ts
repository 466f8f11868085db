// The sync module against a real `tandem` server (run by tests/e2e/vscode.rs): joining by link,
// bindings to a fake editor document (local and remote edits in UTF-16, the stale-version race,
// reconnect), presence, chat and runs, each checked against a stock yjs + y-websocket peer.
// Env: TANDEM_URL, ROOM, TOKEN (write), PEER_TOKEN, RO_TOKEN. Prints one JSON line per step; the
// Rust side answers `down` / `up` on stdin around a kill -9 and restart of the server.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import * as readline from 'node:readline'
import assert from 'node:assert/strict'
import { RoomSession } from '../src/sync/room'
import { FakeEditor } from './editor'
import { chat, createFile, fileText, files, readEntry, type RunEntry } from '../../web/src/lib/schema'
import { replyTo } from '../src/sync/chat'
import { decodeCursor } from '../src/sync/presence'
import { rebase } from '../src/sync/shadow'
import { fuzz } from './fuzz'

const URL_ = process.env.TANDEM_URL!
const ROOM = process.env.ROOM!
const link = (token: string) => `${URL_}/r/${encodeURIComponent(ROOM)}#token=${token}`
const PATIENCE = 15000

const lines: string[] = []
const waiters: ((l: string) => void)[] = []
readline.createInterface({ input: process.stdin }).on('line', (l) => {
  const w = waiters.shift()
  if (w) w(l)
  else lines.push(l)
})
const nextLine = () => new Promise<string>((r) => (lines.length ? r(lines.shift()!) : waiters.push(r)))
const report = (step: string, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ step, ...extra }))

async function until(what: string, cond: () => boolean, ms = PATIENCE): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** A stock y-websocket peer (what the web client is), for the other side of every check. */
function stockPeer(name: string) {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(`${URL_.replace(/^http/, 'ws')}/sync`, ROOM, doc, {
    params: { token: process.env.PEER_TOKEN! },
    WebSocketPolyfill: WebSocket as never,
    maxBackoffTime: 300
  })
  provider.awareness.setLocalStateField('user', { name, color: '#22c55e', kind: 'human' })
  const text = (path: string) => (files(doc).get(path) as Y.Text | undefined)?.toString() ?? ''
  return { doc, provider, text, ytext: (path: string) => files(doc).get(path) as Y.Text }
}

/** One Yjs in this program: the web lib's `yjs` import is this file's (esbuild.mjs resolves every
 * `yjs` to clients/vscode/node_modules), so a text the lib creates is a `Y.Text` here and the
 * session's own `instanceof` checks hold. Two copies would fail here, not in some later edit. */
function oneYjs() {
  const doc = new Y.Doc()
  assert.equal(createFile(doc, 'one.txt', 'x'), null)
  const text = files(doc).get('one.txt')
  assert.ok(text instanceof Y.Text, 'a Y.Text made by clients/web/src/lib is a Y.Text of the session')
  assert.equal(fileText(doc, 'one.txt'), text)
  files(doc).set('two.txt', new Y.Text('y'))
  assert.ok(fileText(doc, 'two.txt') instanceof Y.Text, 'the web lib recognises the session\'s Y.Text')
  doc.destroy()
}

async function main() {
  oneYjs()
  report('one yjs')
  fuzz()
  report('fuzz', { rounds: 5000 })
  const peer = stockPeer('Peer')
  await until('the stock peer synced', () => peer.provider.synced)

  // ---- join by link ----
  const s = RoomSession.join(link(process.env.TOKEN!), { name: 'Vee', WebSocketPolyfill: WebSocket, maxBackoffTime: 300 })
  await s.whenSynced()
  assert.ok(s.files().includes('main.py'), `files: ${s.files()}`)
  assert.equal(s.readOnly, false)
  report('joined', { files: s.files(), status: s.status })

  // A link whose token opens another room is refused at once, with a reason, and not retried.
  const other = process.env.OTHER_ROOM_TOKEN!
  const refused = RoomSession.join(link(other), { WebSocketPolyfill: WebSocket, maxBackoffTime: 300 })
  const why = await refused.whenSynced().then(
    () => 'joined?!',
    (e: Error) => e.message
  )
  assert.equal(refused.fatal, 'This link does not open this room.', why)
  assert.equal(refused.provider.shouldConnect, false)
  refused.leave()
  report('refused link', { error: why })

  // ---- local edits in UTF-16 units reach a stock peer ----
  assert.equal(s.createFile('uni.txt', 'a😀b中c\n'), null)
  await until('uni.txt at the peer', () => peer.text('uni.txt') === 'a😀b中c\n')
  const ed = new FakeEditor(s.text('uni.txt')!.toString())
  const b = s.bind('uni.txt', ed)
  ed.onChange((v, c) => b.editorChanged(v, c))
  ed.type(3, 3, 'X') // after the emoji (a=1, 😀=2 units)
  ed.type(5, 6, '文字') // 中 → 文字
  ed.type(ed.text().length - 1, ed.text().length - 1, '🎉')
  const wantLocal = 'a😀Xb文字c🎉\n'
  assert.equal(ed.text(), wantLocal)
  await until('the typed text at the peer', () => peer.text('uni.txt') === wantLocal)
  report('local edits', { peer: peer.text('uni.txt') })

  // ---- remote edits arrive as editor changes on the right version ----
  const before = ed.appliedLog.length
  peer.ytext('uni.txt').insert(3, '🚀') // after the first emoji, UTF-16 offset 3
  await until('the remote edit in the editor', () => ed.text() === 'a😀🚀Xb文字c🎉\n')
  peer.doc.transact(() => {
    const t = peer.ytext('uni.txt')
    t.delete(0, 1)
    t.insert(t.length, 'tail\n')
  })
  const wantRemote = '😀🚀Xb文字c🎉\ntail\n'
  await until('the second remote edit in the editor', () => ed.text() === wantRemote)
  const applied = ed.appliedLog.slice(before)
  for (const a of applied) assert.equal(a.version, a.base + 1, 'each remote edit applied on its base')
  assert.equal(b.shadowText, wantRemote)
  assert.equal(s.text('uni.txt')!.toString(), wantRemote, 'no echo: the room has the text once')
  report('remote edits', { applied, editor: ed.text() })

  // ---- the race: typing on a stale version while a remote edit is in flight ----
  s.createFile('race.txt', 'hello world\n')
  await until('race.txt at the peer', () => peer.text('race.txt') === 'hello world\n')
  const red = new FakeEditor(s.text('race.txt')!.toString(), 7)
  const rb = s.bind('race.txt', red)
  red.onChange((v, c) => rb.editorChanged(v, c))
  red.hold = true
  peer.ytext('race.txt').insert(6, 'BIG ') // remote: "hello BIG world\n"
  await until('the remote edit in flight', () => red.inFlight === 1)
  const stale = red.version()
  // The person selects "hello world" and types over it, not having seen "BIG ".
  red.type(0, 11, 'bye')
  red.type(3, 3, ' all')
  red.release()
  await until('the race converged', () => red.text() === s.text('race.txt')!.toString() && red.inFlight === 0 && peer.text('race.txt') === red.text())
  const raced = red.text()
  assert.ok(raced.includes('BIG '), `remote text kept: ${JSON.stringify(raced)}`)
  assert.ok(raced.includes('bye all'), `typed text kept: ${JSON.stringify(raced)}`)
  assert.ok(!raced.includes('hello') && !raced.includes('world'), `deleted text gone: ${JSON.stringify(raced)}`)
  assert.ok(red.refusedLog.includes(stale), 'the stale remote edit was refused by the editor')
  report('race', { text: raced, refused: red.refusedLog, applied: red.appliedLog })

  // ---- the rebase itself, a few more shapes (pure) ----
  assert.deepEqual(rebase('ab', 'aXb', 0, 2, ''), [{ from: 2, to: 3, text: '' }, { from: 0, to: 1, text: '' }])
  assert.deepEqual(rebase('😀x', '😀Yx', 2, 2, 'Z'), [{ from: 2, to: 2, text: 'Z' }])

  // ---- presence ----
  const yt = peer.ytext('uni.txt')
  const rel = (i: number) => Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(yt, i))
  peer.provider.awareness.setLocalStateField('cursor', { file: 'uni.txt', anchor: rel(2), head: rel(4) })
  await until('the peer cursor decoded', () => s.people().some((p) => p.name === 'Peer' && p.head === 4))
  const seen = s.people().find((p) => p.name === 'Peer')!
  assert.equal(seen.file, 'uni.txt')
  assert.equal(seen.anchor, 2)
  s.setCursor('uni.txt', 3, 5)
  const ours = () => {
    const st = peer.provider.awareness.getStates().get(s.doc.clientID) as Record<string, unknown> | undefined
    return st ? decodeCursor(peer.doc, st.cursor) : null
  }
  await until('our cursor at the peer', () => ours()?.head === 5)
  assert.deepEqual(ours(), { file: 'uni.txt', anchor: 3, head: 5 })
  const us = peer.provider.awareness.getStates().get(s.doc.clientID) as { user: { name: string } }
  assert.equal(us.user.name, 'Vee')
  // A remote edit before the cursor moves it (relative positions).
  peer.ytext('uni.txt').insert(0, '>>')
  await until('the moved peer cursor', () => s.people().some((p) => p.name === 'Peer' && p.head === 6))
  report('presence', { theirs: { file: seen.file, anchor: seen.anchor, head: seen.head }, ours: ours() })

  // ---- chat: ask posts "@claude ...", a reply streams back with its status ----
  const asked = s.ask('explain main.py')
  await until('the question at the peer', () => chat(peer.doc).toArray().some((m) => readEntry(m, 0).id === asked))
  const q = chat(peer.doc).toArray().map(readEntry).find((e) => e.id === asked)!
  assert.equal(q.text, '@claude explain main.py')
  assert.equal(q.author, 'Vee')
  assert.equal(q.kind, 'human')
  const statuses: string[] = []
  const texts: string[] = []
  const off = s.on('chat', () => {
    const r = replyTo(s.doc, asked)
    if (r && r.status && statuses[statuses.length - 1] !== r.status) statuses.push(r.status)
    if (r && texts[texts.length - 1] !== r.text) texts.push(r.text)
  })
  const reply = new Y.Map<unknown>()
  const rtext = new Y.Text('')
  peer.doc.transact(() => {
    reply.set('id', 'reply-1')
    reply.set('author', 'Claude')
    reply.set('kind', 'ai')
    reply.set('turn', 1)
    reply.set('reply_to', asked)
    reply.set('status', 'thinking')
    reply.set('ts', Date.now())
    reply.set('text', rtext)
    chat(peer.doc).push([reply])
  })
  await until('thinking', () => statuses.includes('thinking'))
  reply.set('status', 'streaming')
  for (const part of ['It ', 'prints ', 'a greeting.']) {
    rtext.insert(rtext.length, part)
    await until(`chunk ${part}`, () => texts[texts.length - 1]?.endsWith(part))
  }
  reply.set('status', 'done')
  await until('done', () => statuses.includes('done'))
  off()
  assert.deepEqual(statuses, ['thinking', 'streaming', 'done'])
  assert.equal(texts[texts.length - 1], 'It prints a greeting.')
  report('chat', { question: q.text, statuses, texts })

  // ---- a run over HTTP; output streams into the document ----
  const started = await s.run('main.py')
  let output = ''
  const ended = await new Promise<RunEntry>((resolve) => {
    s.followRun(started.id, (chunk) => (output += chunk), resolve)
  })
  assert.equal(ended.status, 'exited', JSON.stringify(ended))
  assert.equal(ended.exitCode, 0)
  assert.ok(output.includes('hello from tandem'), output)
  report('run', { id: started.id, status: ended.status, exit: ended.exitCode, output })

  // ---- a read-only link: typing does not reach the room, the editor gets the room's text back ----
  const ro = RoomSession.join(link(process.env.RO_TOKEN!), { name: 'Reader', WebSocketPolyfill: WebSocket })
  await ro.whenSynced()
  assert.equal(ro.readOnly, true)
  const roEd = new FakeEditor(ro.text('race.txt')!.toString())
  const roB = ro.bind('race.txt', roEd)
  roEd.onChange((v, c) => roB.editorChanged(v, c))
  roEd.type(0, 0, 'nope ')
  await until('the read-only editor restored', () => roEd.text() === raced)
  assert.equal(s.text('race.txt')!.toString(), raced)
  ro.leave()
  report('read only', { text: roEd.text() })

  // ---- reconnect: edits typed while the server is down are kept and sent when it is back ----
  report('kill me')
  assert.equal(await nextLine(), 'down')
  await until('disconnected', () => s.status !== 'connected')
  ed.type(0, 0, 'offline 1 ')
  ed.type(ed.text().length, ed.text().length, 'offline 2\n')
  const offline = ed.text()
  report('typed offline', { status: s.status })
  assert.equal(await nextLine(), 'up')
  await until('reconnected', () => s.status === 'connected' && s.synced)
  await until('the offline edits at the peer', () => peer.text('uni.txt') === offline)
  peer.ytext('uni.txt').insert(0, 'after ')
  await until('a remote edit after reconnect', () => ed.text() === 'after ' + offline)
  report('reconnected', { text: ed.text() })

  b.dispose()
  rb.dispose()
  s.leave()
  peer.provider.destroy()
  peer.doc.destroy()
  report('done')
}

main().then(
  () => process.exit(0),
  (e) => {
    console.log(JSON.stringify({ step: 'failed', error: String(e?.stack ?? e) }))
    process.exit(1)
  }
)
