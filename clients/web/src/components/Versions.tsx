//! Named versions of the room: save one, list them, restore one (as new edits everyone sees).

import { useCallback, useEffect, useState } from 'react'
import type { Api, Version } from '../lib/api'

export function Versions({ api, canWrite, onClose }: { api: Api; canWrite: boolean; onClose: () => void }) {
  const [versions, setVersions] = useState<Version[]>([])
  const [label, setLabel] = useState('')
  const [message, setMessage] = useState<string | null>(null)
  const load = useCallback(
    () =>
      api
        .versions()
        .then((r) => setVersions(r.versions))
        .catch((e) => setMessage((e as Error).message)),
    [api]
  )
  useEffect(() => {
    load()
  }, [load])
  const save = async () => {
    if (!label.trim()) return
    try {
      await api.saveVersion(label.trim())
      setLabel('')
      setMessage('Saved.')
      load()
    } catch (e) {
      setMessage((e as Error).message)
    }
  }
  const restore = async (v: Version) => {
    if (!window.confirm(`Restore "${v.label}"? Everyone's files change back to it (a new version is not lost).`)) return
    try {
      await api.restoreVersion(v.id)
      setMessage(`Restored "${v.label}".`)
    } catch (e) {
      setMessage((e as Error).message)
    }
  }
  return (
    <aside className="absolute right-2 top-12 z-30 flex max-h-[70vh] w-80 flex-col rounded-lg bg-zinc-900 text-sm shadow-2xl ring-1 ring-zinc-700" data-testid="versions-panel">
      <header className="flex items-center justify-between border-b border-zinc-800 px-3 py-2">
        <span className="font-medium">Versions</span>
        <button className="text-zinc-400 hover:text-zinc-100" onClick={onClose}>
          ✕
        </button>
      </header>
      {canWrite && (
        <div className="flex gap-1 border-b border-zinc-800 p-2">
          <input
            className="min-w-0 flex-1 rounded bg-zinc-800 px-2 py-1 text-xs outline-none focus:ring-1 focus:ring-sky-600"
            placeholder="Name this version"
            value={label}
            onChange={(e) => setLabel(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && save()}
            data-testid="version-label"
          />
          <button className="rounded bg-sky-600 px-2 text-xs text-white hover:bg-sky-500" onClick={save} data-testid="version-save">
            Save
          </button>
        </div>
      )}
      {message && <p className="px-3 py-1 text-xs text-zinc-400">{message}</p>}
      <ul className="min-h-0 flex-1 overflow-y-auto p-1">
        {versions.length === 0 && <li className="px-2 py-2 text-xs text-zinc-500">No versions yet.</li>}
        {versions.map((v) => (
          <li key={v.id} className="flex items-center gap-2 rounded px-2 py-1 hover:bg-zinc-800" data-testid="version-item">
            <div className="min-w-0 flex-1">
              <div className="truncate text-xs text-zinc-100">{v.label}</div>
              <div className="text-[11px] text-zinc-500">
                {new Date(v.created_at).toLocaleString()} · {v.author}
              </div>
            </div>
            {canWrite && (
              <button className="rounded px-1.5 py-0.5 text-[11px] ring-1 ring-zinc-600 hover:bg-zinc-700" onClick={() => restore(v)} data-testid="version-restore">
                Restore
              </button>
            )}
          </li>
        ))}
      </ul>
    </aside>
  )
}
