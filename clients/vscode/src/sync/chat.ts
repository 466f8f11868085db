// The room's chat: entries read from the `chat` array (an AI reply's text streams into a Y.Text,
// with `status` thinking → streaming → ... → done), posting a message, asking Claude.

import * as Y from 'yjs'
import { chat, num, RUNNING_TURN, str } from './schema'

export interface ChatEntry {
  index: number
  id: string
  author: string
  kind: 'human' | 'ai' | 'system'
  text: string
  ts: number
  turn?: number
  status?: string
  error?: string
  replyTo?: string
}

export function readEntry(map: Y.Map<unknown>, index: number): ChatEntry {
  const text = map.get('text')
  const kind = str(map.get('kind'))
  return {
    index,
    id: str(map.get('id')) ?? `c${map._item?.id.client}.${map._item?.id.clock}`,
    author: str(map.get('author')) ?? 'someone',
    kind: kind === 'ai' || kind === 'system' ? kind : 'human',
    text: text instanceof Y.Text ? text.toString() : (str(text) ?? ''),
    ts: num(map.get('ts')) ?? 0,
    turn: num(map.get('turn')),
    status: str(map.get('status')),
    error: str(map.get('error')),
    replyTo: str(map.get('reply_to'))
  }
}

export function chatEntries(doc: Y.Doc): ChatEntry[] {
  const out: ChatEntry[] = []
  chat(doc).forEach((v, i) => {
    if (v instanceof Y.Map) out.push(readEntry(v, i))
  })
  return out
}

let seq = 0
/** Appends a human message; returns its id. */
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

/** `@claude <prompt>` (unless the prompt already mentions Claude). */
export function askText(prompt: string): string {
  const p = prompt.trim()
  return /(^|[^\w@])@claude\b/i.test(p) ? p : `@claude ${p}`
}

export function isRunningTurn(e: ChatEntry): boolean {
  return e.kind === 'ai' && RUNNING_TURN.includes(e.status ?? '')
}

/** The AI entry answering message `id` (by `reply_to`), or else the first AI entry after it. */
export function replyTo(entries: ChatEntry[], id: string): ChatEntry | null {
  const byRef = entries.find((e) => e.kind === 'ai' && e.replyTo === id)
  if (byRef) return byRef
  const at = entries.findIndex((e) => e.id === id)
  if (at < 0) return null
  return entries.slice(at + 1).find((e) => e.kind === 'ai') ?? null
}
