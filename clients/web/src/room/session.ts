//! One room session: the Y.Doc, the stock y-websocket provider on `/sync/{room}` with the link's
//! token, the local awareness state, and a hook that re-renders on document changes.

import { useMemo, useSyncExternalStore } from 'react'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import type { UiStore } from '../store'

export interface Me {
  name: string
  color: string
  id: string
}

export interface Session {
  doc: Y.Doc
  provider: WebsocketProvider
  me: Me
  destroy: () => void
}

/** Close codes after which reconnecting cannot help (the link is dead). */
const FATAL_CLOSES: Record<number, string> = {
  4401: 'This link has expired or was revoked. Ask for a new one.',
  4403: 'This link does not open this room.',
  4410: 'This room was deleted.'
}

export function openSession(room: string, token: string, me: Me, ui: UiStore, origin = location.origin): Session {
  const doc = new Y.Doc()
  const wsBase = origin.replace(/^http/, 'ws') + '/sync'
  const provider = new WebsocketProvider(wsBase, room, doc, { params: { token } })
  provider.awareness.setLocalStateField('user', {
    name: me.name,
    color: me.color,
    colorLight: me.color + '33',
    kind: 'human',
    id: me.id
  })
  const onStatus = ({ status }: { status: 'connected' | 'disconnected' | 'connecting' }) =>
    ui.getState().setConnection(status)
  const onSync = (synced: boolean) => ui.getState().setSynced(synced)
  const onClose = (event: CloseEvent | null) => {
    const fatal = event ? FATAL_CLOSES[event.code] : undefined
    if (fatal) {
      ui.getState().setFatal(fatal)
      provider.shouldConnect = false
    }
  }
  provider.on('status', onStatus)
  provider.on('sync', onSync)
  provider.on('connection-close', onClose)
  return {
    doc,
    provider,
    me,
    destroy: () => {
      provider.off('status', onStatus)
      provider.off('sync', onSync)
      provider.off('connection-close', onClose)
      provider.destroy()
      doc.destroy()
    }
  }
}

/**
 * Re-renders when `type` (or anything inside it) changes and returns `read()` of it. The value is
 * recomputed only after a change.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function useY<T>(type: Y.AbstractType<any>, read: () => T): T {
  const store = useMemo(() => {
    let version = 0
    let cached: { v: number; value: T } | null = null
    return {
      subscribe: (cb: () => void) => {
        const h = () => {
          version++
          cb()
        }
        type.observeDeep(h)
        return () => type.unobserveDeep(h)
      },
      get: () => {
        if (!cached || cached.v !== version) cached = { v: version, value: read() }
        return cached.value
      }
    }
    // `read` is expected to depend only on `type`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [type])
  return useSyncExternalStore(store.subscribe, store.get)
}

/** Re-renders on every awareness change; returns a counter that changes with it. */
export function useAwarenessVersion(provider: WebsocketProvider): number {
  const store = useMemo(() => {
    let version = 0
    return {
      subscribe: (cb: () => void) => {
        const h = () => {
          version++
          cb()
        }
        provider.awareness.on('change', h)
        return () => provider.awareness.off('change', h)
      },
      get: () => version
    }
  }, [provider])
  return useSyncExternalStore(store.subscribe, store.get)
}
