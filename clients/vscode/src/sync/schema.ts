// The room document as this client reads and writes it (mirrors protocol/src/schema.rs, chat.rs and
// clients/web/src/lib/schema.ts): `files` Y.Map<path, Y.Text>, `chat` and `runs` Y.Array<Y.Map>.

import * as Y from 'yjs'

export const files = (doc: Y.Doc) => doc.getMap<Y.Text>('files')
export const chat = (doc: Y.Doc) => doc.getArray<Y.Map<unknown>>('chat')
export const runs = (doc: Y.Doc) => doc.getArray<Y.Map<unknown>>('runs')
export const meta = (doc: Y.Doc) => doc.getMap<unknown>('meta')

export const RUNNING_TURN = ['thinking', 'streaming', 'editing', 'running']
export const RUNNING_RUN = ['queued', 'running']
const MAX_PATH_LEN = 512

/** Same rule as the server: relative, `/`-separated, no empty, `.` or `..` segments. */
export function validPath(path: string): boolean {
  return (
    path.length > 0 &&
    Buffer.byteLength(path, 'utf8') <= MAX_PATH_LEN &&
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

export function createFile(doc: Y.Doc, path: string, contents = ''): 'invalid' | 'exists' | null {
  if (!validPath(path)) return 'invalid'
  if (fileText(doc, path)) return 'exists'
  files(doc).set(path, new Y.Text(contents))
  return null
}

export function deleteFile(doc: Y.Doc, path: string): boolean {
  if (!fileText(doc, path)) return false
  files(doc).delete(path)
  return true
}

/** Files a Run on that path can start (the runner's extension table, roughly). */
export function runnable(path: string): boolean {
  return /\.(py|js|mjs|cjs|ts|sh|bash|c|cc|cpp|rs|rb|go|lua|pl|php)$/i.test(path)
}

export const str = (v: unknown) => (typeof v === 'string' ? v : undefined)
export const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)
