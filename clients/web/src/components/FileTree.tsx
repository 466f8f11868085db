//! The file tree: open, create, rename and delete the room's files.

import { useState, type FormEvent } from 'react'
import type * as Y from 'yjs'
import { createFile, deleteFile, fileTree, renameFile, type FileError, type TreeNode } from '../lib/schema'

const ERRORS: Record<FileError, string> = {
  invalid: 'Paths are relative, "/"-separated, without empty, "." or ".." parts.',
  exists: 'A file with that path already exists.',
  missing: 'That file is gone.'
}

type Editing = { mode: 'new' } | { mode: 'rename'; path: string } | null

export function FileTree(props: {
  doc: Y.Doc
  paths: string[]
  active: string | null
  readOnly: boolean
  presence: Map<string, string[]>
  onOpen: (path: string) => void
}) {
  const { doc, paths, active, readOnly, presence, onOpen } = props
  const [editing, setEditing] = useState<Editing>(null)
  const [value, setValue] = useState('')
  const [error, setError] = useState<string | null>(null)

  const start = (e: Editing) => {
    setEditing(e)
    setValue(e?.mode === 'rename' ? e.path : '')
    setError(null)
  }
  const submit = (ev: FormEvent) => {
    ev.preventDefault()
    const path = value.trim()
    if (!editing) return
    const err = editing.mode === 'new' ? createFile(doc, path) : renameFile(doc, editing.path, path)
    if (err) {
      setError(ERRORS[err])
      return
    }
    if (editing.mode === 'new') onOpen(path)
    setEditing(null)
  }
  const remove = (path: string) => {
    if (window.confirm(`Delete ${path} for everyone in the room?`)) deleteFile(doc, path)
  }

  const form = (
    <form onSubmit={submit} className="px-2 py-1">
      <input
        autoFocus
        className="w-full rounded bg-zinc-800 px-1.5 py-0.5 text-xs text-zinc-100 outline-none ring-1 ring-sky-600"
        value={value}
        placeholder="path/to/file.py"
        onChange={(e) => setValue(e.target.value)}
        onKeyDown={(e) => e.key === 'Escape' && setEditing(null)}
        onBlur={() => !value.trim() && setEditing(null)}
        data-testid="file-name-input"
      />
      {error && <p className="mt-1 text-[11px] text-red-400">{error}</p>}
    </form>
  )

  const node = (n: TreeNode, depth: number) =>
    n.children ? (
      <li key={n.path}>
        <div className="truncate px-2 py-0.5 text-xs text-zinc-500" style={{ paddingLeft: 8 + depth * 12 }}>
          {n.name}/
        </div>
        <ul>{n.children.map((c) => node(c, depth + 1))}</ul>
      </li>
    ) : editing?.mode === 'rename' && editing.path === n.path ? (
      <li key={n.path}>{form}</li>
    ) : (
      <li key={n.path} className="group">
        <div
          className={`flex cursor-pointer items-center gap-1 py-0.5 pr-1 text-[13px] ${
            n.path === active ? 'bg-sky-500/15 text-white' : 'text-zinc-300 hover:bg-zinc-800'
          }`}
          style={{ paddingLeft: 8 + depth * 12 }}
          onClick={() => onOpen(n.path)}
          data-testid="file-item"
          data-path={n.path}
        >
          <span className="min-w-0 flex-1 truncate">{n.name}</span>
          {(presence.get(n.path) ?? []).map((c, i) => (
            <span key={i} className="h-1.5 w-1.5 rounded-full" style={{ backgroundColor: c }} />
          ))}
          {!readOnly && (
            <span className="hidden gap-0.5 group-hover:flex">
              <button
                className="rounded px-1 text-[11px] text-zinc-400 hover:bg-zinc-700"
                onClick={(e) => {
                  e.stopPropagation()
                  start({ mode: 'rename', path: n.path })
                }}
                title="Rename"
                data-testid="file-rename"
              >
                ✎
              </button>
              <button
                className="rounded px-1 text-[11px] text-zinc-400 hover:bg-zinc-700"
                onClick={(e) => {
                  e.stopPropagation()
                  remove(n.path)
                }}
                title="Delete"
                data-testid="file-delete"
              >
                ✕
              </button>
            </span>
          )}
        </div>
      </li>
    )

  return (
    <nav className="flex h-full min-h-0 flex-col bg-zinc-900" data-testid="file-tree">
      <header className="flex items-center justify-between border-b border-zinc-800 px-3 py-1.5 text-xs uppercase tracking-wide text-zinc-400">
        <span>Files</span>
        {!readOnly && (
          <button className="rounded px-1.5 text-base leading-none hover:bg-zinc-800" onClick={() => start({ mode: 'new' })} title="New file" data-testid="new-file">
            +
          </button>
        )}
      </header>
      <div className="min-h-0 flex-1 overflow-y-auto py-1">
        {editing?.mode === 'new' && form}
        <ul>{fileTree(paths).map((n) => node(n, 0))}</ul>
        {paths.length === 0 && <p className="px-3 py-2 text-xs text-zinc-500">No files yet.</p>}
      </div>
    </nav>
  )
}
