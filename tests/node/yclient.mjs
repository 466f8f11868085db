// A stock Yjs peer (npm `yjs` + `y-websocket`, unmodified, `ws` as the WebSocket) driven by
// commands, for end-to-end tests of editor clients (Neovim, VS Code, ...): the test plays a
// second person in the room through it and checks what the editor under test did.
//
// Usage:
//   PEER_TOKEN=JWT node yclient.mjs --url ws://127.0.0.1:PORT/sync --room ROOM --name NAME [--color #22c55e]
//
// The token rides as `?token=` through the provider's own `params: {token}` option, as a browser
// editor sends it. stdin takes one JSON command per line; each is answered, in order, by one JSON
// line on stdout: {"ok": true, "cmd": ..., ...results} or {"ok": false, "cmd": ..., "error": ...}.
// stderr carries diagnostics only. Indices count UTF-16 code units, as Yjs does.
//
//   {"cmd":"synced"}                                  waits until synced → {"client": <doc client id>}
//   {"cmd":"write","file":F,"text":T}                 files[F] := T (a new Y.Text, or the existing one's whole content)
//   {"cmd":"insert","file":F,"index":I,"text":T}      inserts into files[F]
//   {"cmd":"delete","file":F,"index":I,"len":L}       deletes from files[F]
//   {"cmd":"text","file":F}                           → {"text": T} (null when there is no such file)
//   {"cmd":"files"}                                   → {"files": [paths]}
//   {"cmd":"wait_text","file":F,"contains":S|"equals":S,"timeout_ms":N}
//                                                     → {"text": T} once it holds; ok=false, error "timeout" and the last text otherwise
//   {"cmd":"cursor","file":F,"index":I,"anchor"?:A,"name"?:N,"color"?:C}
//                                                     publishes awareness {user: {name, color, colorLight, kind: "human"},
//                                                     cursor: {file, anchor, head}} with anchor/head as Y.relativePositionToJSON,
//                                                     as the web client (y-codemirror.next) does; anchor defaults to index
//   {"cmd":"awareness"}                               → {"states": [{"client": id, "state": {...}}]} (everyone else)
//   {"cmd":"wait_awareness","name":N,"has"?:"cursor","head"?:I,"timeout_ms":N}
//                                                     → {"client", "state", "file", "anchor", "head"} once someone named N is
//                                                     present (with that field; with their cursor's head at index I), their
//                                                     cursor resolved to indices of its file (null when it does not resolve)
//   {"cmd":"quit"}                                    answers, then leaves the room and exits 0
//
// stdin closing also ends the process.

import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'

import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    room: { type: 'string' },
    name: { type: 'string' },
    color: { type: 'string', default: '#22c55e' }
  }
})
for (const required of ['url', 'room', 'name']) {
  if (!opts[required]) {
    console.error(`yclient.mjs: --${required} is required`)
    process.exit(2)
  }
}

const doc = new Y.Doc()
const provider = new WebsocketProvider(opts.url, opts.room, doc, {
  WebSocketPolyfill: WebSocket,
  // Node has a global BroadcastChannel; peers on one machine must only meet through the server.
  disableBc: true,
  params: process.env.PEER_TOKEN ? { token: process.env.PEER_TOKEN } : {}
})
provider.on('connection-error', (e) => console.error(`yclient.mjs ${opts.name}: connection error: ${e?.message ?? e}`))
provider.on('closed', ({ code, reason }) => console.error(`yclient.mjs ${opts.name}: closed for good: ${code} ${reason}`))

const user = { name: opts.name, color: opts.color, colorLight: opts.color + '33', kind: 'human' }
provider.awareness.setLocalStateField('user', user)

const files = doc.getMap('files')
const textOf = (file) => {
  const t = files.get(file)
  return t instanceof Y.Text ? t : null
}
const mustText = (file) => {
  const t = textOf(file)
  if (t === null) throw new Error(`no file ${file}`)
  return t
}

/** Resolves once `cond()` holds (re-checked on `event` of each emitter), or with false after `ms`. */
const until = (cond, emitters, ms) =>
  new Promise((resolve) => {
    if (cond()) return resolve(true)
    let timer = null
    const check = () => {
      if (cond()) done(true)
    }
    const done = (v) => {
      for (const [em, ev] of emitters) em.off(ev, check)
      if (timer) clearTimeout(timer)
      resolve(v)
    }
    for (const [em, ev] of emitters) em.on(ev, check)
    if (ms != null) timer = setTimeout(() => done(false), ms)
  })

const others = () =>
  Array.from(provider.awareness.getStates().entries())
    .filter(([client]) => client !== doc.clientID)
    .map(([client, state]) => ({ client, state }))

/** A published cursor {file, anchor, head} (relative positions) as indices in its file. */
const resolve = (cursor) => {
  const at = (rel) => {
    if (rel == null) return null
    try {
      const abs = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(rel), doc)
      return abs ? abs.index : null
    } catch {
      return null
    }
  }
  return { file: cursor?.file ?? null, anchor: at(cursor?.anchor), head: at(cursor?.head) }
}

const commands = {
  async synced () {
    await until(() => provider.synced, [[provider, 'synced']])
    return { client: doc.clientID }
  },
  write ({ file, text }) {
    doc.transact(() => {
      const t = textOf(file)
      if (t === null) {
        files.set(file, new Y.Text(text))
      } else {
        t.delete(0, t.length)
        t.insert(0, text)
      }
    })
    return {}
  },
  insert ({ file, index, text }) {
    mustText(file).insert(index, text)
    return {}
  },
  delete ({ file, index, len }) {
    mustText(file).delete(index, len)
    return {}
  },
  text ({ file }) {
    const t = textOf(file)
    return { text: t === null ? null : t.toString() }
  },
  files () {
    return { files: Array.from(files.keys()) }
  },
  async wait_text ({ file, contains, equals, timeout_ms: ms = 15000 }) {
    const holds = () => {
      const t = textOf(file)
      if (t === null) return false
      const s = t.toString()
      return equals !== undefined ? s === equals : s.includes(contains ?? '')
    }
    const ok = await until(holds, [[doc, 'update']], ms)
    const t = textOf(file)
    const text = t === null ? null : t.toString()
    if (!ok) throw Object.assign(new Error('timeout'), { extra: { text } })
    return { text }
  },
  cursor ({ file, index, anchor, name, color }) {
    const t = mustText(file)
    const rel = (i) => Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(t, i))
    if (name !== undefined || color !== undefined) {
      user.name = name ?? user.name
      user.color = color ?? user.color
      user.colorLight = user.color + '33'
      provider.awareness.setLocalStateField('user', { ...user })
    }
    provider.awareness.setLocalStateField('cursor', { file, anchor: rel(anchor ?? index), head: rel(index) })
    return {}
  },
  awareness () {
    return { states: others() }
  },
  async wait_awareness ({ name, has, head, timeout_ms: ms = 15000 }) {
    const find = () => {
      const found = others().find(({ state }) => state?.user?.name === name && (!has || state[has] != null))
      if (!found) return undefined
      const where = resolve(found.state.cursor)
      if (head !== undefined && where.head !== head) return undefined
      return { client: found.client, state: found.state, ...where }
    }
    const ok = await until(() => find() !== undefined, [[provider.awareness, 'change'], [doc, 'update']], ms)
    if (!ok) throw Object.assign(new Error('timeout'), { extra: { states: others() } })
    return find()
  },
  quit () {
    return {}
  }
}

const reply = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

const quit = () => {
  provider.destroy()
  doc.destroy()
  // The ws close handshake can keep the loop alive a while; the work is done.
  setTimeout(() => process.exit(0), 50)
}

// Commands run one at a time, in order, so answers line up with them.
let chain = Promise.resolve()
const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  if (line.trim() === '') return
  chain = chain.then(async () => {
    let req
    try {
      req = JSON.parse(line)
    } catch (e) {
      return reply({ ok: false, cmd: null, error: `not JSON: ${e.message}` })
    }
    const fn = commands[req.cmd]
    if (!fn) return reply({ ok: false, cmd: req.cmd, error: `unknown command ${req.cmd}` })
    try {
      const out = await fn(req)
      reply({ ok: true, cmd: req.cmd, ...out })
      if (req.cmd === 'quit') quit()
    } catch (e) {
      reply({ ok: false, cmd: req.cmd, error: e.message, ...(e.extra ?? {}) })
    }
  })
})
lines.on('close', () => {
  chain.then(quit)
})
