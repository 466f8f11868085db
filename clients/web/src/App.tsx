//! Routes: `/` the start page, `/r/{room}#token=...` a room.

import { useSyncExternalStore } from 'react'
import { parseLink, roomFromPath } from './lib/link'
import { Home } from './components/Home'
import { RoomPage } from './components/RoomPage'

function useHash(): string {
  return useSyncExternalStore(
    (cb) => {
      window.addEventListener('hashchange', cb)
      return () => window.removeEventListener('hashchange', cb)
    },
    () => location.hash
  )
}

export function App() {
  const hash = useHash()
  const room = roomFromPath(location.pathname)
  if (room === null) return <Home />
  const link = parseLink(location.pathname, hash)
  if (!link) {
    return (
      <div className="flex min-h-screen items-center justify-center bg-zinc-950 p-6 text-center text-zinc-300" data-testid="no-token">
        <p>
          This room link has no token. A room link looks like <code>/r/{room}#token=…</code>; ask whoever shared it for the whole link.
        </p>
      </div>
    )
  }
  return <RoomPage key={`${link.room}#${link.token}`} link={link} />
}
