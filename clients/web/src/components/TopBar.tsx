//! The room's top bar: room name, connection state, who is here (click to follow), share links,
//! versions.

import { useState } from 'react'
import type { Person } from '../lib/presence'
import type { Api } from '../lib/api'
import type { Connection } from '../store'

const STATUS: Record<string, string> = { thinking: 'thinking', editing: 'editing', running: 'running' }

export function TopBar(props: {
  room: string
  connection: Connection
  synced: boolean
  everSynced: boolean
  people: Person[]
  following: number | null
  onFollow: (id: number | null) => void
  onRename: () => void
  canWrite: boolean
  api: Api
  editLink: string
  onVersions: () => void
}) {
  const { room, connection, synced, everSynced, people, following, onFollow, onRename, canWrite, api, editLink, onVersions } = props
  return (
    <header className="flex min-h-10 shrink-0 flex-wrap items-center gap-x-3 gap-y-1 border-b border-zinc-800 bg-zinc-950 px-3 py-1 text-sm">
      <a href="/" className="whitespace-nowrap font-semibold text-zinc-100" title="Tandem">
        ◐ Tandem
      </a>
      <span className="truncate text-zinc-400" data-testid="room-name">
        {room}
      </span>
      <ConnectionBadge connection={connection} synced={synced} everSynced={everSynced} />
      <div className="flex min-w-40 flex-1 items-center gap-1 overflow-x-auto" data-testid="presence-bar">
        {people.map((p) => (
          <button
            key={p.clientId}
            className={`flex shrink-0 items-center gap-1 rounded-full py-0.5 pl-0.5 pr-2 text-xs ring-1 ${
              following === p.clientId ? 'ring-2 ring-white' : 'ring-zinc-700 hover:ring-zinc-500'
            }`}
            onClick={() => (p.self ? onRename() : onFollow(following === p.clientId ? null : p.clientId))}
            title={p.self ? 'You (click to change your name)' : following === p.clientId ? `Stop following ${p.name}` : `Follow ${p.name}`}
            data-testid="presence-user"
            data-name={p.name}
            data-kind={p.kind}
            data-status={p.status ?? ''}
            data-self={p.self ? 'true' : 'false'}
          >
            <span className="flex h-5 w-5 items-center justify-center rounded-full text-[10px] font-bold text-white" style={{ backgroundColor: p.color }}>
              {p.kind === 'ai' ? '✦' : p.name.slice(0, 1).toUpperCase()}
            </span>
            <span className="max-w-28 truncate text-zinc-200">
              {p.name}
              {p.self ? ' (you)' : ''}
            </span>
            {p.status && STATUS[p.status] && <span className="animate-pulse text-amber-300">{STATUS[p.status]}</span>}
          </button>
        ))}
      </div>
      <Share canWrite={canWrite} api={api} editLink={editLink} />
      <button className="rounded px-2 py-1 text-xs text-zinc-300 ring-1 ring-zinc-700 hover:bg-zinc-800" onClick={onVersions} data-testid="versions-button">
        Versions
      </button>
    </header>
  )
}

function ConnectionBadge({ connection, synced, everSynced }: { connection: Connection; synced: boolean; everSynced: boolean }) {
  const live = connection === 'connected' && synced
  const state = live ? 'live' : everSynced ? 'reconnecting' : 'connecting'
  const [label, cls] = {
    live: ['Live', 'bg-emerald-500'],
    reconnecting: ['Reconnecting… (your edits are kept and sent when back)', 'bg-red-500 animate-pulse'],
    connecting: ['Connecting…', 'bg-amber-400 animate-pulse']
  }[state]
  return (
    <span className="flex shrink-0 items-center gap-1.5 text-xs text-zinc-400" data-testid="connection-state" data-state={state} title={label}>
      <span className={`h-2 w-2 rounded-full ${cls}`} />
      <span className="max-w-48 truncate">{label}</span>
    </span>
  )
}

function Share({ canWrite, api, editLink }: { canWrite: boolean; api: Api; editLink: string }) {
  const [shown, setShown] = useState<{ kind: string; link: string } | null>(null)
  const [error, setError] = useState<string | null>(null)
  const show = async (kind: 'edit' | 'view') => {
    setError(null)
    try {
      const link = kind === 'edit' ? editLink : (await api.shareLink('read')).link
      setShown({ kind, link })
      await navigator.clipboard?.writeText(link).catch(() => undefined)
    } catch (e) {
      setError((e as Error).message)
    }
  }
  return (
    <div className="relative flex shrink-0 items-center gap-1">
      {canWrite && (
        <button className="rounded px-2 py-1 text-xs text-zinc-300 ring-1 ring-zinc-700 hover:bg-zinc-800" onClick={() => show('edit')} data-testid="share-edit">
          Share edit link
        </button>
      )}
      <button className="rounded px-2 py-1 text-xs text-zinc-300 ring-1 ring-zinc-700 hover:bg-zinc-800" onClick={() => show('view')} data-testid="share-view">
        Share view link
      </button>
      {(shown || error) && (
        <div className="absolute right-0 top-9 z-20 w-96 rounded-md bg-zinc-800 p-2 text-xs shadow-xl ring-1 ring-zinc-700" data-testid="share-popover">
          {error ? (
            <p className="text-red-400">{error}</p>
          ) : (
            <>
              <p className="mb-1 text-zinc-300">
                {shown!.kind === 'edit' ? 'Anyone with this link can edit' : 'Anyone with this link can watch (read-only)'} — copied to the clipboard:
              </p>
              <input readOnly className="w-full rounded bg-zinc-900 px-1.5 py-1 font-mono text-[11px] text-zinc-200" value={shown!.link} onFocus={(e) => e.target.select()} data-testid="share-link" />
            </>
          )}
          <button className="mt-1 text-zinc-400 hover:text-zinc-200" onClick={() => (setShown(null), setError(null))}>
            Close
          </button>
        </div>
      )}
    </div>
  )
}
