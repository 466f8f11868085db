// One joined room: the Y.Doc, the stock y-websocket WebsocketProvider on `/sync/{room}` with the
// link's token (and `ws` in Node), our awareness state, file bindings, chat, runs and presence,
// with change notifications for the UI. Nothing here imports `vscode`.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { canWrite, parseLink, syncBase, type RoomLink } from './link'
import {
  chat,
  chatEntries,
  createFile,
  fileText,
  files,
  listFiles,
  postMessage,
  runEntries,
  runs,
  type ChatEntry,
  type FileError,
  type RunEntry
} from '../../../web/src/lib/schema'
import { FileBinding, type BindingOptions, type EditorPort } from './binding'
import { encodeCursor, people, userState, type Person } from './presence'
import { askText } from './chat'
import { followRun, startRun } from './runs'

export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected'

export interface JoinOptions {
  /** Display name (default: the token's `name`, else its `sub`, else "VS Code"). */
  name?: string
  color?: string
  /** A WebSocket class for Node (which has no global one): `ws`. The token then goes in an
   * `Authorization: Bearer` header instead of the URL, so it never appears in a logged URL. */
  WebSocketPolyfill?: unknown
  /** Longest wait between reconnect attempts (ms). */
  maxBackoffTime?: number
}

type Event = 'status' | 'files' | 'people' | 'chat' | 'runs' | 'closed'

/** Close codes after which reconnecting cannot help. */
const FATAL: Record<number, string> = {
  4401: 'This link has expired or was revoked.',
  4403: 'This link does not open this room.',
  4410: 'This room was deleted.'
}

type NodeSocket = new (url: string, protocols?: string | string[], options?: { headers?: Record<string, string> }) => object

/** `ws` with the token as a bearer header (the server accepts it as well as `?token=`). */
function bearerSocket(WS: NodeSocket, token: string): NodeSocket {
  return class extends WS {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols ?? [], { headers: { authorization: `Bearer ${token}` } })
    }
  }
}

export class RoomSession {
  readonly doc = new Y.Doc()
  readonly provider: WebsocketProvider
  readonly name: string
  readonly readOnly: boolean
  status: ConnectionStatus = 'connecting'
  /** Why the connection ended for good (a dead link, a deleted room), if it did. */
  fatal: string | null = null
  private listeners = new Map<Event, Set<() => void>>()
  private bindings = new Set<FileBinding>()
  private everSynced = false
  /** The last connection failure (e.g. `Unexpected server response: 403`). */
  lastError: string | null = null

  constructor(
    readonly link: RoomLink,
    opts: JoinOptions = {}
  ) {
    this.name = opts.name || link.claims?.name || link.claims?.sub || 'VS Code'
    this.readOnly = !canWrite(link.claims)
    const WS = opts.WebSocketPolyfill ? bearerSocket(opts.WebSocketPolyfill as NodeSocket, link.token) : undefined
    this.provider = new WebsocketProvider(syncBase(link), link.room, this.doc, {
      params: WS ? {} : { token: link.token },
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      WebSocketPolyfill: WS as any,
      maxBackoffTime: opts.maxBackoffTime ?? 2500
    })
    this.provider.awareness.setLocalStateField('user', userState(this.name, opts.color))
    this.provider.on('status', ({ status }) => {
      this.status = status
      this.emit('status')
    })
    this.provider.on('sync', (synced: boolean) => {
      if (synced) this.everSynced = true
      this.emit('status')
    })
    this.provider.on('connection-close', (event) => {
      const fatal = event ? FATAL[event.code] : undefined
      if (fatal) {
        this.fatal = fatal
        this.provider.shouldConnect = false
        this.emit('closed')
      }
    })
    this.provider.on('connection-error', (event) => {
      const msg = (event as unknown as { message?: unknown })?.message
      this.lastError = typeof msg === 'string' ? msg : 'connection failed'
      // The upgrade was refused (bad, expired or revoked token, another room): retrying cannot help.
      const status = /Unexpected server response: (\d+)/.exec(this.lastError)?.[1]
      if (status === '401' || status === '403') {
        this.fatal = status === '401' ? 'The server refused this link (expired, revoked or invalid).' : 'This link does not open this room.'
        this.provider.shouldConnect = false
        this.emit('closed')
        this.emit('status')
      }
    })
    files(this.doc).observe(() => this.emit('files'))
    this.provider.awareness.on('change', () => this.emit('people'))
    // Cursors are relative positions: they move when the text does.
    files(this.doc).observeDeep(() => this.emit('people'))
    chat(this.doc).observeDeep(() => this.emit('chat'))
    runs(this.doc).observeDeep(() => this.emit('runs'))
  }

  /** Joins by link (`http://host/r/{room}#token=...`); throws on a link that is not one. */
  static join(link: string | RoomLink, opts: JoinOptions = {}): RoomSession {
    const parsed = typeof link === 'string' ? parseLink(link) : link
    if (!parsed) throw new Error('not a room link (http://host/r/{room}#token=...)')
    return new RoomSession(parsed, opts)
  }

  get synced(): boolean {
    return this.provider.synced
  }

  /** Resolves once the first sync with the server is done (rejects after `ms`). */
  whenSynced(ms = 20000): Promise<void> {
    if (this.everSynced || this.provider.synced) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off()
        const why = this.lastError ? ` (${this.lastError})` : ''
        reject(new Error(this.fatal ?? `could not reach ${this.link.origin} within ${ms} ms${why}`))
      }, ms)
      const off = this.on('status', () => {
        if (this.provider.synced) {
          clearTimeout(timer)
          off()
          resolve()
        } else if (this.fatal) {
          clearTimeout(timer)
          off()
          reject(new Error(this.fatal))
        }
      })
    })
  }

  on(event: Event, cb: () => void): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(cb)
    return () => set!.delete(cb)
  }

  private emit(event: Event) {
    for (const cb of [...(this.listeners.get(event) ?? [])]) {
      try {
        cb()
      } catch (e) {
        console.error(`tandem: ${event} listener failed`, e)
      }
    }
  }

  // ---- files ----

  files(): string[] {
    return listFiles(this.doc)
  }

  text(path: string): Y.Text | null {
    return fileText(this.doc, path)
  }

  createFile(path: string, contents = ''): FileError | null {
    return createFile(this.doc, path, contents)
  }

  /** Binds room file `path` to an editor document; throws if the room has no such file. */
  bind(path: string, port: EditorPort, opts: BindingOptions = {}): FileBinding {
    const text = this.text(path)
    if (!text) throw new Error(`no file ${path} in room ${this.link.room}`)
    const b = new FileBinding(path, text, port, { readOnly: this.readOnly, ...opts })
    this.bindings.add(b)
    const dispose = b.dispose.bind(b)
    b.dispose = () => {
      this.bindings.delete(b)
      dispose()
    }
    return b
  }

  // ---- presence ----

  people(): Person[] {
    return people(
      this.doc,
      this.provider.awareness.getStates() as Map<number, Record<string, unknown>>,
      this.doc.clientID
    )
  }

  /** Publishes our cursor (UTF-16 offsets into `path`), or clears it with `null`. */
  setCursor(path: string | null, anchor = 0, head = anchor): void {
    const cursor = path === null ? null : encodeCursor(this.doc, path, anchor, head)
    this.provider.awareness.setLocalStateField('cursor', cursor)
  }

  // ---- chat ----

  chat(): ChatEntry[] {
    return chatEntries(this.doc)
  }

  post(text: string): string {
    return postMessage(this.doc, this.name, text)
  }

  /** Posts `@claude <prompt>`; returns the message's id (its reply names it in `reply_to`). */
  ask(prompt: string): string {
    return this.post(askText(prompt))
  }

  // ---- runs ----

  runs(): RunEntry[] {
    return runEntries(this.doc)
  }

  run(entry?: string) {
    return startRun(this.link, entry)
  }

  followRun(id: string, onOutput: (chunk: string, run: RunEntry) => void, onEnd: (run: RunEntry) => void) {
    return followRun(this.doc, id, onOutput, onEnd)
  }

  leave(): void {
    for (const b of [...this.bindings]) b.dispose()
    this.provider.awareness.setLocalState(null)
    this.provider.destroy()
    this.doc.destroy()
    this.listeners.clear()
  }
}
