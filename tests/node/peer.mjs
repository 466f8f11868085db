// A stock Yjs peer (npm `yjs` + `y-websocket`) for Tandem's interop tests: it must behave exactly
// like a browser editor would, so it uses WebsocketProvider unmodified, with `ws` standing in for
// the browser WebSocket.
//
// Usage:
//   node peer.mjs --url ws://127.0.0.1:PORT/sync --room ROOM --name NAME \
//     [--file main.py] [--edits 10] [--expect m1,m2,...] [--await-names a,b] \
//     [--wait-go] [--hold] [--timeout-ms 15000] [--token JWT] [--expect-denied]
//
// Every option can also come from the environment: --edits is PEER_EDITS, --url is PEER_URL, ...
//
// The peer syncs, announces itself in awareness as {user: {name, kind: 'human'}}, waits for
// files[FILE] to exist, appends its markers `[NAME:0]`..`[NAME:EDITS-1]` to it one transaction at a
// time, then waits until the text holds every --expect marker and awareness shows every
// --await-names user. stdout carries JSON lines only:
//   {"event":"ready", ...}  synced, file present, awareness set (before any edit)
//   {"event":"done", "text": ..., "awareness": [{"client": id, "state": {...}}], ...}
// --wait-go holds the edits until a line arrives on stdin, so a test can start every peer's typing
// at once; --hold keeps the connection (and presence) up after "done" until stdin closes, so the
// test can inspect this peer from the other side. Exit 0 on success; 1 with a message on stderr on
// timeout or error.
//
// --token (PEER_TOKEN) is passed through the provider's own `params: {token}` option, so it rides
// as `?token=` exactly as a browser editor sends it. A server refusing our edits answers with a
// y-protocols auth message, which the stock provider only reports through `console.warn`
// ("Permission denied to access <url>.\n<reason>"): we capture those reasons (without echoing the
// URL, which carries the token) and report them as `permissionDenied` in "ready" and "done".
// --expect-denied holds "done" until at least one arrived. After typing, the peer adds
// `typed: EDITS` to its awareness state: the same socket carries it after every edit, so whoever
// sees it knows the server has received (and handled) all of them.

import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'

import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.PEER_URL },
    room: { type: 'string', default: process.env.PEER_ROOM },
    name: { type: 'string', default: process.env.PEER_NAME },
    file: { type: 'string', default: process.env.PEER_FILE ?? 'main.py' },
    edits: { type: 'string', default: process.env.PEER_EDITS ?? '10' },
    expect: { type: 'string', default: process.env.PEER_EXPECT ?? '' },
    'await-names': { type: 'string', default: process.env.PEER_AWAIT_NAMES ?? '' },
    'wait-go': { type: 'boolean', default: process.env.PEER_WAIT_GO === '1' },
    hold: { type: 'boolean', default: process.env.PEER_HOLD === '1' },
    'timeout-ms': { type: 'string', default: process.env.PEER_TIMEOUT_MS ?? '15000' },
    token: { type: 'string', default: process.env.PEER_TOKEN },
    'expect-denied': { type: 'boolean', default: process.env.PEER_EXPECT_DENIED === '1' }
  }
})

const list = (s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0)

for (const required of ['url', 'room', 'name']) {
  if (!opts[required]) {
    console.error(`peer.mjs: --${required} is required`)
    process.exit(2)
  }
}
const edits = Number.parseInt(opts.edits, 10)
const timeoutMs = Number.parseInt(opts['timeout-ms'], 10)
const expected = list(opts.expect)
const awaitNames = list(opts['await-names'])

let stage = 'connecting'
const deadline = setTimeout(() => {
  console.error(`peer.mjs ${opts.name}: timed out after ${timeoutMs} ms while ${stage}`)
  process.exit(1)
}, timeoutMs)

const emit = (obj) => process.stdout.write(JSON.stringify({ name: opts.name, ...obj }) + '\n')

// Reasons of every permission-denied auth message the provider reported.
const denied = []
const deniedListeners = new Set()
const warn = console.warn.bind(console)
console.warn = (...args) => {
  const first = String(args[0] ?? '')
  if (first.startsWith('Permission denied')) {
    const newline = first.indexOf('\n')
    denied.push(newline >= 0 ? first.slice(newline + 1) : '')
    process.stderr.write(`peer.mjs ${opts.name}: permission denied: ${denied.at(-1)}\n`)
    for (const listener of deniedListeners) listener()
    return
  }
  warn(...args)
}

const doc = new Y.Doc()
const provider = new WebsocketProvider(opts.url, opts.room, doc, {
  WebSocketPolyfill: WebSocket,
  // Node has a global BroadcastChannel; two peers in one machine must only meet through the server.
  disableBc: true,
  params: opts.token ? { token: opts.token } : {}
})
provider.on('connection-error', (e) => {
  console.error(`peer.mjs ${opts.name}: connection error: ${e?.message ?? e}`)
})
provider.on('closed', ({ code, reason }) => {
  console.error(`peer.mjs ${opts.name}: server closed the connection for good: ${code} ${reason}`)
  process.exit(1)
})

/** Resolves once `cond()` holds, re-checking whenever `emitter` fires `event`. */
const until = (cond, emitter, event) =>
  new Promise((resolve) => {
    if (cond()) return resolve()
    const check = () => {
      if (cond()) {
        emitter.off(event, check)
        resolve()
      }
    }
    emitter.on(event, check)
  })

const stdinLines = createInterface({ input: process.stdin })
let stdinClosed = false
stdinLines.on('close', () => { stdinClosed = true })
const nextStdinLine = () =>
  new Promise((resolve) => {
    if (stdinClosed) return resolve()
    stdinLines.once('line', resolve)
    stdinLines.once('close', resolve)
  })

const files = doc.getMap('files')
const text = () => {
  const t = files.get(opts.file)
  return t instanceof Y.Text ? t : null
}
const awarenessStates = () =>
  Array.from(provider.awareness.getStates().entries()).map(([client, state]) => ({ client, state }))
const seenNames = () => new Set(awarenessStates().map(({ state }) => state?.user?.name))

stage = 'syncing'
await until(() => provider.synced, provider, 'synced')
provider.awareness.setLocalStateField('user', { name: opts.name, kind: 'human' })

stage = `waiting for files[${opts.file}]`
await until(() => text() !== null, doc, 'update')
emit({ event: 'ready', client: doc.clientID, permissionDenied: denied })

if (opts['wait-go']) {
  stage = 'waiting for go on stdin'
  await nextStdinLine()
}

stage = 'typing'
for (let k = 0; k < edits; k++) {
  // One transaction per marker, appended at the end (never inside another marker), with a pause
  // so the other peers' edits interleave with ours on the server.
  const t = text()
  t.insert(t.length, `[${opts.name}:${k}]`)
  await new Promise((resolve) => setTimeout(resolve, 2))
}

provider.awareness.setLocalStateField('typed', edits)

if (opts['expect-denied']) {
  stage = 'waiting for a permission-denied auth message'
  await new Promise((resolve) => {
    if (denied.length > 0) return resolve()
    deniedListeners.add(resolve)
  })
}

stage = 'waiting for every expected marker and user'
const complete = () => {
  const t = text()
  if (t === null) return false
  const s = t.toString()
  if (!expected.every((m) => s.includes(m))) return false
  const names = seenNames()
  return awaitNames.every((n) => names.has(n))
}
await new Promise((resolve) => {
  if (complete()) return resolve()
  const check = () => {
    if (complete()) {
      doc.off('update', check)
      provider.awareness.off('change', check)
      resolve()
    }
  }
  doc.on('update', check)
  provider.awareness.on('change', check)
})

emit({
  event: 'done',
  client: doc.clientID,
  text: text().toString(),
  awareness: awarenessStates(),
  permissionDenied: denied
})

if (opts.hold) {
  stage = 'holding until stdin closes'
  clearTimeout(deadline)
  await new Promise((resolve) => (stdinClosed ? resolve() : stdinLines.once('close', resolve)))
}

clearTimeout(deadline)
stdinLines.close()
provider.destroy()
doc.destroy()
// The ws socket's close handshake can keep the loop alive for a while; the work is done.
setTimeout(() => process.exit(0), 50)
