//! The shared terminal: every run in the room (anyone's, Claude's included) with its status,
//! time and output (ANSI colours; stderr in red), plus the Run button.

import { useEffect, useRef, useState } from 'react'
import type * as Y from 'yjs'
import { parseAnsi, type Style } from '../lib/ansi'
import { runEntries, runOutcome, runSeconds, runs, RUNNING_RUN, runnable, type RunEntry } from '../lib/schema'
import type { Api } from '../lib/api'
import { useY } from '../room/session'

/** Runs shown (older ones stay in the document). */
const SHOWN_RUNS = 20

export function Terminal({ doc, api, active, readOnly }: { doc: Y.Doc; api: Api; active: string | null; readOnly: boolean }) {
  const all = useY(runs(doc), () => runEntries(doc))
  const shown = all.slice(-SHOWN_RUNS)
  const [error, setError] = useState<string | null>(null)
  const [now, setNow] = useState(Date.now())
  const box = useRef<HTMLDivElement>(null)
  const anyRunning = shown.some((r) => RUNNING_RUN.includes(r.status))

  useEffect(() => {
    if (!anyRunning) return
    const t = window.setInterval(() => setNow(Date.now()), 100)
    return () => window.clearInterval(t)
  }, [anyRunning])
  useEffect(() => {
    const el = box.current
    if (el) el.scrollTop = el.scrollHeight
  }, [all])

  const run = async () => {
    setError(null)
    try {
      await api.run(active && runnable(active) ? active : undefined)
    } catch (e) {
      setError((e as Error).message)
    }
  }
  const last = shown[shown.length - 1]

  return (
    <section className="flex h-full min-h-0 flex-col bg-black" data-testid="terminal">
      <header className="flex items-center gap-2 border-b border-zinc-800 px-3 py-1 text-xs text-zinc-400">
        <span className="uppercase tracking-wide">Terminal</span>
        {last && <RunStatus r={last} now={now} />}
        <span className="ml-auto" />
        {last && RUNNING_RUN.includes(last.status) && !readOnly && (
          <button
            className="rounded px-2 py-0.5 text-zinc-300 ring-1 ring-zinc-700 hover:bg-zinc-800"
            onClick={() => api.cancelRun(last.id).catch((e) => setError((e as Error).message))}
            data-testid="run-cancel"
          >
            Stop
          </button>
        )}
        <button
          className="rounded bg-emerald-600 px-3 py-0.5 font-medium text-white hover:bg-emerald-500 disabled:opacity-40"
          onClick={run}
          disabled={readOnly}
          title={readOnly ? 'View only' : active && runnable(active) ? `Run ${active}` : 'Run the room'}
          data-testid="run-button"
        >
          ▶ Run
        </button>
      </header>
      <div ref={box} className="min-h-0 flex-1 overflow-y-auto px-3 py-2 font-mono text-xs leading-5 text-zinc-200">
        {shown.length === 0 && !error && <p className="text-zinc-600">Runs from anyone in the room show here.</p>}
        {shown.map((r) => (
          <RunView key={r.id} r={r} now={now} />
        ))}
        {error && <p className="text-red-400" data-testid="run-error">{error}</p>}
      </div>
    </section>
  )
}

function RunStatus({ r, now }: { r: RunEntry; now: number }) {
  const secs = runSeconds(r, now)
  const ok = r.status === 'exited' && r.exitCode === 0
  const live = RUNNING_RUN.includes(r.status)
  return (
    <span className={live ? 'text-amber-300' : ok ? 'text-emerald-400' : 'text-red-400'}>
      {runOutcome(r)}
      {secs && ` · ${secs}s`}
    </span>
  )
}

function RunView({ r, now }: { r: RunEntry; now: number }) {
  let style: Style = {}
  const lines: { text: string; style: Style; stderr: boolean }[] = []
  for (const chunk of r.output) {
    const parsed = parseAnsi(chunk.text, style)
    style = parsed.style
    for (const s of parsed.segments) lines.push({ ...s, stderr: chunk.stderr })
  }
  return (
    <div className="mb-2" data-testid="run-entry" data-status={r.status} data-run={r.id}>
      <div className="text-zinc-500">
        $ run {r.entry}
        {r.requestedBy && <span> · {r.requestedBy}</span>} · <RunStatus r={r} now={now} />
      </div>
      <pre className="whitespace-pre-wrap break-words" data-testid="run-output">
        {lines.map((s, i) => (
          <span
            key={i}
            className={s.stderr && !s.style.fg ? 'text-red-300' : undefined}
            style={{
              color: s.style.fg,
              backgroundColor: s.style.bg,
              fontWeight: s.style.bold ? 700 : undefined,
              opacity: s.style.dim ? 0.7 : undefined,
              fontStyle: s.style.italic ? 'italic' : undefined,
              textDecoration: s.style.underline ? 'underline' : undefined
            }}
          >
            {s.text}
          </span>
        ))}
      </pre>
      {r.message && r.status !== 'exited' && <div className="text-amber-300">{r.message}</div>}
    </div>
  )
}
