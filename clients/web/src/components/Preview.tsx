//! Live preview of a room with an `index.html`: served by the server at `/r/{room}/preview/{key}/`
//! (a read-only key minted for the preview, never the page's own token) inside a sandboxed iframe
//! without `allow-same-origin`, so the page runs on an opaque origin; reloads as files change.

import { useEffect, useState } from 'react'
import type * as Y from 'yjs'
import type { Api } from '../lib/api'
import { files } from '../lib/schema'

/** Quiet time after the last file change before the preview reloads. */
const RELOAD_DEBOUNCE_MS = 250

export function Preview({ doc, api }: { doc: Y.Doc; api: Api }) {
  const [base, setBase] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [generation, setGeneration] = useState(0)

  useEffect(() => {
    let alive = true
    api
      .preview()
      .then((r) => alive && setBase(r.url))
      .catch((e) => alive && setError((e as Error).message))
    return () => {
      alive = false
    }
  }, [api])

  useEffect(() => {
    let timer: number | undefined
    const onChange = () => {
      window.clearTimeout(timer)
      timer = window.setTimeout(() => setGeneration((g) => g + 1), RELOAD_DEBOUNCE_MS)
    }
    const map = files(doc)
    map.observeDeep(onChange)
    return () => {
      window.clearTimeout(timer)
      map.unobserveDeep(onChange)
    }
  }, [doc])

  return (
    <section className="flex h-full min-h-0 flex-col bg-zinc-900" data-testid="preview">
      <header className="flex items-center gap-2 border-b border-zinc-800 px-3 py-1.5 text-xs text-zinc-400">
        <span className="uppercase tracking-wide">Preview</span>
        <span className="text-zinc-600">index.html</span>
        <button className="ml-auto rounded px-1.5 hover:bg-zinc-800" onClick={() => setGeneration((g) => g + 1)} title="Reload">
          ↻
        </button>
        {base && (
          <a className="rounded px-1.5 hover:bg-zinc-800" href={`${base}index.html`} target="_blank" rel="noreferrer noopener">
            ↗
          </a>
        )}
      </header>
      {error && <p className="p-3 text-xs text-red-400">Preview unavailable: {error}</p>}
      {base && (
        <iframe
          title="Preview"
          className="min-h-0 flex-1 bg-white"
          sandbox="allow-scripts allow-forms allow-modals allow-popups"
          referrerPolicy="no-referrer"
          src={`${base}index.html?v=${generation}`}
          data-testid="preview-frame"
        />
      )}
    </section>
  )
}
