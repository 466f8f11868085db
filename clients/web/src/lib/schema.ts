//! The room document as the web client reads and writes it (DESIGN §3, protocol/src/schema.rs and
//! chat.rs): `files` Y.Map<path, Y.Text>, `chat` and `runs` Y.Array<Y.Map>, `meta` Y.Map.

import * as Y from 'yjs'

export const FILES = 'files'
export const CHAT = 'chat'
export const RUNS = 'runs'
export const META = 'meta'
export const MAX_PATH_LEN = 512

export const RUNNING_TURN = ['thinking', 'streaming', 'editing', 'running']
export const RUNNING_RUN = ['queued', 'running']

export const files = (doc: Y.Doc) => doc.getMap<Y.Text>(FILES)
export const chat = (doc: Y.Doc) => doc.getArray<Y.Map<unknown>>(CHAT)
export const runs = (doc: Y.Doc) => doc.getArray<Y.Map<unknown>>(RUNS)
export const meta = (doc: Y.Doc) => doc.getMap<unknown>(META)

/** Same rule as the server: relative, `/`-separated, no empty, `.` or `..` segments. */
export function validPath(path: string): boolean {
  return (
    path.length > 0 &&
    new TextEncoder().encode(path).length <= MAX_PATH_LEN &&
    !path.includes('\\') &&
    !path.includes('\0') &&
    path.split('/').every((s) => s !== '' && s !== '.' && s !== '..')
  )
}

export function listFiles(doc: Y.Doc): string[] {
  const out: string[] = []
  files(doc).forEach((v, k) => {
    if (v instanceof Y.Text) out.push(k)
  })
  return out.sort()
}

export function fileText(doc: Y.Doc, path: string): Y.Text | null {
  const v = files(doc).get(path)
  return v instanceof Y.Text ? v : null
}

export type FileError = 'invalid' | 'exists' | 'missing'

export function createFile(doc: Y.Doc, path: string, contents = ''): FileError | null {
  if (!validPath(path)) return 'invalid'
  if (fileText(doc, path)) return 'exists'
  files(doc).set(path, new Y.Text(contents))
  return null
}

/** A rename is a new text with the same contents and the old path removed, in one transaction. */
export function renameFile(doc: Y.Doc, from: string, to: string): FileError | null {
  const text = fileText(doc, from)
  if (!text) return 'missing'
  if (!validPath(to)) return 'invalid'
  if (fileText(doc, to)) return 'exists'
  doc.transact(() => {
    files(doc).set(to, new Y.Text(text.toString()))
    files(doc).delete(from)
  })
  return null
}

export function deleteFile(doc: Y.Doc, path: string): boolean {
  if (!fileText(doc, path)) return false
  files(doc).delete(path)
  return true
}

/** Files as a tree for the sidebar: folders first, then files, each sorted. */
export interface TreeNode {
  name: string
  path: string
  children: TreeNode[] | null
}

export function fileTree(paths: string[]): TreeNode[] {
  const root: TreeNode = { name: '', path: '', children: [] }
  for (const path of paths) {
    const segs = path.split('/')
    let node = root
    segs.forEach((seg, i) => {
      const leaf = i === segs.length - 1
      const sub = segs.slice(0, i + 1).join('/')
      let child = node.children!.find((c) => c.name === seg && (c.children === null) === leaf)
      if (!child) {
        child = { name: seg, path: sub, children: leaf ? null : [] }
        node.children!.push(child)
      }
      node = child
    })
  }
  const sort = (nodes: TreeNode[]) => {
    nodes.sort((a, b) =>
      (a.children === null ? 1 : 0) - (b.children === null ? 1 : 0) || a.name.localeCompare(b.name)
    )
    nodes.forEach((n) => n.children && sort(n.children))
    return nodes
  }
  return sort(root.children!)
}

// ---- chat ----

export interface ChatEntry {
  index: number
  id: string
  author: string
  kind: 'human' | 'ai' | 'system'
  text: string
  ts: number
  turn?: number
  model?: string
  status?: string
  costUsd?: number
  usage?: { input_tokens?: number; output_tokens?: number }
  error?: string
  rejected: boolean
  rejectError?: string
  tools: { name: string; path?: string; outcome?: string }[]
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined)
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

export function readEntry(map: Y.Map<unknown>, index: number): ChatEntry {
  const text = map.get('text')
  const kind = str(map.get('kind'))
  const tools = map.get('tools')
  const toolList = tools instanceof Y.Array ? tools.toJSON() : Array.isArray(tools) ? tools : []
  return {
    index,
    id: str(map.get('id')) ?? `c${map._item?.id.client}.${map._item?.id.clock}`,
    author: str(map.get('author')) ?? 'someone',
    kind: kind === 'ai' || kind === 'system' ? kind : 'human',
    text: text instanceof Y.Text ? text.toString() : (str(text) ?? ''),
    ts: num(map.get('ts')) ?? 0,
    turn: num(map.get('turn')),
    model: str(map.get('model')),
    status: str(map.get('status')),
    costUsd: num(map.get('cost_usd')),
    usage: plain(map.get('usage')) as ChatEntry['usage'],
    error: str(map.get('error')),
    rejected: map.get('rejected') != null,
    rejectError: str(map.get('reject_error')),
    tools: toolList.filter(
      (t: unknown): t is ChatEntry['tools'][number] => typeof t === 'object' && t !== null && typeof (t as { name?: unknown }).name === 'string'
    )
  }
}

function plain(v: unknown): unknown {
  if (v instanceof Y.Map || v instanceof Y.Array) return v.toJSON()
  return v ?? undefined
}

export function chatEntries(doc: Y.Doc): ChatEntry[] {
  const out: ChatEntry[] = []
  chat(doc).forEach((v, i) => {
    if (v instanceof Y.Map) out.push(readEntry(v, i))
  })
  return out
}

let seq = 0
export function postMessage(doc: Y.Doc, author: string, text: string, now = Date.now()): string {
  const id = `m-${doc.clientID}-${now}-${++seq}`
  const map = new Y.Map<unknown>()
  doc.transact(() => {
    map.set('id', id)
    map.set('author', author)
    map.set('kind', 'human')
    map.set('ts', now)
    map.set('text', new Y.Text(text))
    chat(doc).push([map])
  })
  return id
}

/** `@claude` as a word, any case (what the AI peer answers in `mention` rooms). */
export function mentionsClaude(text: string): boolean {
  return /(^|[^\w@])@claude\b/i.test(text)
}

export function isRunningTurn(e: ChatEntry): boolean {
  return e.kind === 'ai' && RUNNING_TURN.includes(e.status ?? '')
}

// ---- runs ----

export interface RunEntry {
  index: number
  id: string
  entry: string
  lang: string
  requestedBy: string
  status: string
  exitCode: number | null
  reason?: string
  signal?: number
  message?: string
  ts: number
  startedAt?: number
  finishedAt?: number
  durationMs?: number
  output: { text: string; stderr: boolean }[]
}

export function readRun(map: Y.Map<unknown>, index: number): RunEntry {
  const output = map.get('output')
  const chunks: RunEntry['output'] = []
  if (output instanceof Y.Text) {
    for (const d of output.toDelta() as { insert: unknown; attributes?: { stderr?: boolean } }[]) {
      if (typeof d.insert === 'string') chunks.push({ text: d.insert, stderr: d.attributes?.stderr === true })
    }
  }
  const exit = map.get('exit_code')
  return {
    index,
    id: str(map.get('id')) ?? String(index),
    entry: str(map.get('entry')) ?? '',
    lang: str(map.get('lang')) ?? '',
    requestedBy: str(map.get('requested_by')) ?? '',
    status: str(map.get('status')) ?? 'queued',
    exitCode: typeof exit === 'number' ? exit : null,
    reason: str(map.get('reason')),
    signal: num(map.get('signal')),
    message: str(map.get('message')),
    ts: num(map.get('ts')) ?? 0,
    startedAt: num(map.get('started_at')),
    finishedAt: num(map.get('finished_at')),
    durationMs: num(map.get('duration_ms')),
    output: chunks
  }
}

export function runEntries(doc: Y.Doc): RunEntry[] {
  const out: RunEntry[] = []
  runs(doc).forEach((v, i) => {
    if (v instanceof Y.Map) out.push(readRun(v, i))
  })
  return out
}

/** A run's outcome in words: `exit 0`, `killed (timeout)`, `signal 11`, `failed: ...`. */
export function runOutcome(r: RunEntry): string {
  switch (r.status) {
    case 'exited':
      return `exit ${r.exitCode ?? '?'}`
    case 'killed':
      return r.reason ? `killed (${r.reason})` : 'killed'
    case 'signaled':
      return `signal ${r.signal ?? '?'}`
    case 'failed':
      return r.message ? `failed: ${r.message}` : 'failed'
    default:
      return r.status
  }
}

/** Seconds a run has taken (or takes so far), to one decimal. */
export function runSeconds(r: RunEntry, now: number): string | null {
  if (r.durationMs != null) return (r.durationMs / 1000).toFixed(1)
  if (r.startedAt != null) return (Math.max(0, (r.finishedAt ?? now) - r.startedAt) / 1000).toFixed(1)
  return null
}

/** Files a Run on that path can start (the runner's extension table, roughly). */
export function runnable(path: string): boolean {
  return /\.(py|js|mjs|cjs|ts|sh|bash|c|cc|cpp|rs|rb|go|lua|pl|php)$/i.test(path)
}

/** Whether the room has a page to preview. */
export function hasPreview(paths: string[]): boolean {
  return paths.includes('index.html')
}
