//! The start page (`/`): create a room (local mode), or open a room link.

import { useState, type FormEvent } from 'react'
import { Api } from '../lib/api'
import { localPath, parseLink } from '../lib/link'

export function Home() {
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [pasted, setPasted] = useState('')

  const create = async () => {
    setBusy(true)
    setError(null)
    try {
      const r = await Api.createLocalRoom()
      location.assign(localPath(r.links.edit))
    } catch (e) {
      setError((e as Error).message)
      setBusy(false)
    }
  }
  const open = (e: FormEvent) => {
    e.preventDefault()
    const path = localPath(pasted.trim())
    const [pathname, hash = ''] = path.split('#')
    if (!parseLink(pathname, '#' + hash)) {
      setError('That is not a room link (it looks like …/r/ROOM#token=…).')
      return
    }
    location.assign(path)
  }

  return (
    <div className="flex min-h-screen items-center justify-center bg-zinc-950 p-6 text-zinc-100">
      <div className="w-full max-w-md space-y-6">
        <div>
          <h1 className="text-2xl font-semibold">◐ Tandem</h1>
          <p className="mt-1 text-sm text-zinc-400">Pair programming with people and Claude in one live room: files, chat, runs and a preview.</p>
        </div>
        <button
          className="w-full rounded-md bg-sky-600 py-2 font-medium text-white hover:bg-sky-500 disabled:opacity-50"
          onClick={create}
          disabled={busy}
          data-testid="create-room"
        >
          {busy ? 'Creating…' : 'Create a room'}
        </button>
        <form onSubmit={open} className="space-y-2">
          <label className="block text-sm text-zinc-400" htmlFor="link">
            or open a room link
          </label>
          <div className="flex gap-2">
            <input
              id="link"
              className="min-w-0 flex-1 rounded-md bg-zinc-800 px-2 py-1.5 text-sm outline-none focus:ring-1 focus:ring-sky-600"
              placeholder="http://…/r/room#token=…"
              value={pasted}
              onChange={(e) => setPasted(e.target.value)}
            />
            <button className="rounded-md px-3 text-sm ring-1 ring-zinc-700 hover:bg-zinc-800">Open</button>
          </div>
        </form>
        {error && (
          <p className="text-sm text-red-400" data-testid="home-error">
            {error}
          </p>
        )}
      </div>
    </div>
  )
}
