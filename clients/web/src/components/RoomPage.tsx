//! The room page (`/r/{room}#token=...`): files, editor, terminal, chat and preview around one
//! shared Y.Doc; presence, follow mode, share links, versions, read-only view links.

import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react'
import type * as Y from 'yjs'
import type { EditorView } from '@codemirror/view'
import { EditorView as CMView } from '@codemirror/view'
import { Api } from '../lib/api'
import { canWrite, roomUrl, type RoomLink } from '../lib/link'
import { colorFor, guestName, people as readPeople } from '../lib/presence'
import { fileText, files, hasPreview, listFiles } from '../lib/schema'
import { createUiStore, useUi } from '../store'
import { openSession, useAwarenessVersion, useY, type Session } from '../room/session'
import { Chat } from './Chat'
import { Editor } from './Editor'
import { FileTree } from './FileTree'
import { Panes } from './Panes'
import { Preview } from './Preview'
import { Tabs } from './Tabs'
import { Terminal } from './Terminal'
import { TopBar } from './TopBar'
import { Versions } from './Versions'

const NAME_KEY = 'tandem.name'

function myName(link: RoomLink): string {
  if (link.claims?.name) return link.claims.name
  const saved = localStorage.getItem(NAME_KEY)
  if (saved) return saved
  const name = guestName()
  localStorage.setItem(NAME_KEY, name)
  return name
}

function useNarrow(): boolean {
  const query = '(max-width: 767px)'
  return useSyncExternalStore(
    (cb) => {
      const m = window.matchMedia(query)
      m.addEventListener('change', cb)
      return () => m.removeEventListener('change', cb)
    },
    () => window.matchMedia(query).matches
  )
}

declare global {
  interface Window {
    /** Handles for tests and debugging: the document, the provider, the editor. */
    __tandem?: { session: Session; view: () => EditorView | null; interactiveAt: number | null; syncedAt: number | null }
  }
}

export function RoomPage({ link }: { link: RoomLink }) {
  const ui = useMemo(() => createUiStore(), [])
  const [session] = useState(() => {
    const name = myName(link)
    return openSession(link.room, link.token, { name, color: colorFor(name), id: link.claims?.sub ?? '' }, ui)
  })
  useEffect(() => () => session.destroy(), [session])
  const api = useMemo(() => new Api(link.room, link.token), [link])
  const writable = canWrite(link.claims)
  const readOnly = !writable
  const narrow = useNarrow()
  const { doc, provider } = session

  const tabs = useUi(ui, (s) => s.tabs)
  const active = useUi(ui, (s) => s.active)
  const following = useUi(ui, (s) => s.following)
  const connection = useUi(ui, (s) => s.connection)
  const synced = useUi(ui, (s) => s.synced)
  const everSynced = useUi(ui, (s) => s.everSynced)
  const fatal = useUi(ui, (s) => s.fatal)
  const versionsOpen = useUi(ui, (s) => s.versionsOpen)

  const paths = useY(files(doc), () => listFiles(doc))
  // Tabs follow the files: a rename (one path gone and one added in the same transaction, by
  // anyone) moves its tab; a deleted file's tab closes.
  useEffect(() => {
    const map = files(doc)
    const sync = (e?: Y.YMapEvent<Y.Text>) => {
      let renamed: { from: string; to: string } | undefined
      if (e) {
        const added: string[] = []
        const deleted: string[] = []
        e.changes.keys.forEach((c, k) => (c.action === 'add' ? added : c.action === 'delete' ? deleted : []).push(k))
        if (added.length === 1 && deleted.length === 1) renamed = { from: deleted[0], to: added[0] }
      }
      ui.getState().syncFiles(listFiles(doc), renamed)
    }
    sync()
    map.observe(sync)
    return () => map.unobserve(sync)
  }, [doc, ui])

  const awarenessVersion = useAwarenessVersion(provider)
  const everyone = useMemo(
    () => readPeople(doc, provider.awareness.getStates() as Map<number, Record<string, unknown>>, doc.clientID),
    // Awareness and files both move cursors between files.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [awarenessVersion, paths, doc, provider]
  )
  const filePresence = useMemo(() => {
    const m = new Map<string, string[]>()
    for (const p of everyone) if (!p.self && p.file) m.set(p.file, [...(m.get(p.file) ?? []), p.color])
    return m
  }, [everyone])

  const view = useRef<EditorView | null>(null)
  const handles = useRef({ session, view: () => view.current, interactiveAt: null as number | null, syncedAt: null as number | null })
  useEffect(() => {
    window.__tandem = handles.current
  }, [])

  // Follow mode: go where the followed person's cursor is.
  useEffect(() => {
    if (following === null) return
    const p = everyone.find((x) => x.clientId === following)
    if (!p) {
      ui.getState().follow(null)
      return
    }
    if (p.file && p.file !== ui.getState().active) ui.getState().openFile(p.file)
    const v = view.current
    if (v && p.file === ui.getState().active && p.head !== null) {
      const pos = Math.min(p.head, v.state.doc.length)
      v.dispatch({ effects: CMView.scrollIntoView(pos, { y: 'center' }) })
    }
  }, [everyone, following, ui])

  const rename = () => {
    const name = window.prompt('Your name in this room', session.me.name)?.trim()
    if (!name) return
    localStorage.setItem(NAME_KEY, name)
    session.me.name = name
    provider.awareness.setLocalStateField('user', { ...provider.awareness.getLocalState()?.user, name })
  }

  const text = active ? fileText(doc, active) : null
  const onView = (v: EditorView | null) => {
    view.current = v
    if (v && handles.current.interactiveAt === null && ui.getState().synced) handles.current.interactiveAt = performance.now()
  }
  useEffect(() => {
    if (synced && handles.current.syncedAt === null) handles.current.syncedAt = performance.now()
    if (synced && view.current && handles.current.interactiveAt === null) handles.current.interactiveAt = performance.now()
  }, [synced, active])

  const followed = everyone.find((p) => p.clientId === following)
  const editorArea = (
    <div className="flex h-full min-h-0 flex-col bg-[#0b0b0f]">
      <Tabs tabs={tabs} active={active} presence={filePresence} onSelect={(p) => ui.getState().openFile(p)} onClose={(p) => ui.getState().closeTab(p)} />
      {readOnly && (
        <div className="border-b border-amber-700/40 bg-amber-500/10 px-3 py-1 text-xs text-amber-200" data-testid="readonly-banner">
          View only: this link can watch the room but not edit it. Ask someone in the room for an edit link.
        </div>
      )}
      {followed && (
        <div className="flex items-center gap-2 border-b border-zinc-800 px-3 py-0.5 text-xs text-zinc-300" data-testid="follow-indicator">
          <span className="h-2 w-2 rounded-full" style={{ backgroundColor: followed.color }} />
          Following {followed.name}
          <button className="ml-auto text-zinc-400 hover:text-zinc-100" onClick={() => ui.getState().follow(null)}>
            Stop following
          </button>
        </div>
      )}
      <div className="min-h-0 flex-1">
        {active && text ? (
          <Editor key={active} doc={doc} provider={provider} path={active} text={text} readOnly={readOnly} everyone={everyone} onView={onView} />
        ) : (
          <div className="p-6 text-sm text-zinc-500">
            {synced ? 'No file open. Create one with + in the file list, or ask @claude in chat.' : 'Loading the room…'}
          </div>
        )}
      </div>
    </div>
  )
  const preview = hasPreview(paths)
  const terminal = <Terminal doc={doc} api={api} active={active} readOnly={readOnly} />
  const chatPane = <Chat doc={doc} api={api} author={session.me.name} readOnly={readOnly} />
  const tree = (
    <FileTree
      doc={doc}
      paths={paths}
      active={active}
      readOnly={readOnly}
      presence={filePresence}
      onOpen={(p) => ui.getState().openFile(p)}
    />
  )

  return (
    <div className={`flex flex-col ${narrow ? 'min-h-screen' : 'h-screen'} bg-zinc-950 text-zinc-100`} data-testid="room" data-narrow={narrow}>
      <TopBar
        room={link.room}
        connection={connection}
        synced={synced}
        everSynced={everSynced}
        people={everyone}
        following={following}
        onFollow={(id) => ui.getState().follow(id)}
        onRename={rename}
        canWrite={writable}
        api={api}
        editLink={roomUrl(location.origin, link.room, link.token)}
        onVersions={() => ui.getState().toggleVersions()}
      />
      {fatal && (
        <div className="bg-red-900/60 px-3 py-1.5 text-sm text-red-100" data-testid="fatal-banner">
          {fatal}
        </div>
      )}
      {versionsOpen && <Versions api={api} canWrite={writable} onClose={() => ui.getState().toggleVersions(false)} />}
      <main className={narrow ? '' : 'min-h-0 flex-1'}>
        {narrow ? (
          <Panes direction="vertical" sizes={[]} stacked>
            {editorArea}
            {chatPane}
            {terminal}
            {preview && <Preview doc={doc} api={api} />}
            {tree}
          </Panes>
        ) : (
          <Panes direction="horizontal" sizes={[15, 53, 32]} stacked={false}>
            {tree}
            <Panes direction="vertical" sizes={[68, 32]} stacked={false}>
              {editorArea}
              {terminal}
            </Panes>
            {preview ? (
              <Panes key="with-preview" direction="vertical" sizes={[55, 45]} stacked={false}>
                {chatPane}
                <Preview doc={doc} api={api} />
              </Panes>
            ) : (
              <Panes key="chat-only" direction="vertical" sizes={[100]} stacked={false}>
                {chatPane}
              </Panes>
            )}
          </Panes>
        )}
      </main>
    </div>
  )
}
