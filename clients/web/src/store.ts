//! UI state of the room page (Zustand): open tabs, the active file, follow mode, connection,
//! which side panel shows. Document state lives in the Y.Doc, never here.

import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'

export type Connection = 'connecting' | 'connected' | 'disconnected'

export interface UiState {
  tabs: string[]
  active: string | null
  /** Awareness client id of the person followed, or null. */
  following: number | null
  connection: Connection
  synced: boolean
  /** Whether the room was ever synced: losing the connection after that is "reconnecting". */
  everSynced: boolean
  /** Why the server closed the socket for good (an expired or revoked link), if it did. */
  fatal: string | null
  versionsOpen: boolean
  openFile: (path: string) => void
  closeTab: (path: string) => void
  /** Keeps tabs in line with the room's files: renamed or deleted files leave. */
  syncFiles: (paths: string[], renamed?: { from: string; to: string }) => void
  follow: (clientId: number | null) => void
  setConnection: (c: Connection) => void
  setSynced: (s: boolean) => void
  setFatal: (msg: string | null) => void
  toggleVersions: (open?: boolean) => void
}

export const createUiStore = () =>
  createStore<UiState>()((set) => ({
    tabs: [],
    active: null,
    following: null,
    connection: 'connecting',
    synced: false,
    everSynced: false,
    fatal: null,
    versionsOpen: false,
    openFile: (path) =>
      set((s) => ({ tabs: s.tabs.includes(path) ? s.tabs : [...s.tabs, path], active: path })),
    closeTab: (path) =>
      set((s) => {
        const i = s.tabs.indexOf(path)
        if (i < 0) return s
        const tabs = s.tabs.filter((t) => t !== path)
        const active = s.active === path ? (tabs[Math.min(i, tabs.length - 1)] ?? null) : s.active
        return { tabs, active }
      }),
    syncFiles: (paths, renamed) =>
      set((s) => {
        const exists = new Set(paths)
        let tabs = s.tabs.map((t) => (renamed && t === renamed.from ? renamed.to : t))
        let active = renamed && s.active === renamed.from ? renamed.to : s.active
        tabs = tabs.filter((t) => exists.has(t))
        if (active !== null && !exists.has(active)) active = tabs[0] ?? null
        if (active === null && paths.length > 0 && tabs.length === 0) {
          active = preferredFile(paths)
          tabs = [active]
        }
        if (tabs.length === s.tabs.length && tabs.every((t, i) => t === s.tabs[i]) && active === s.active) return s
        return { tabs, active }
      }),
    follow: (following) => set({ following }),
    setConnection: (connection) => set({ connection }),
    setSynced: (synced) => set((s) => ({ synced, everSynced: s.everSynced || synced })),
    setFatal: (fatal) => set({ fatal }),
    toggleVersions: (open) => set((s) => ({ versionsOpen: open ?? !s.versionsOpen }))
  }))

/** The file a room opens on: a main file, else a README, else the first. */
export function preferredFile(paths: string[]): string {
  const main = paths.find((p) => /^main\.\w+$/.test(p))
  const readme = paths.find((p) => /^readme(\.md)?$/i.test(p))
  return main ?? readme ?? paths[0]
}

export type UiStore = ReturnType<typeof createUiStore>

export function useUi<T>(store: UiStore, pick: (s: UiState) => T): T {
  return useStore(store, pick)
}
