//! The chat pane: people's and Claude's messages (Markdown), Claude's reply streaming in, stop,
//! reject a turn, model and cost per reply; `@claude` asks Claude.

import { useEffect, useRef, useState, type KeyboardEvent } from 'react'
import type * as Y from 'yjs'
import { chat, chatEntries, isRunningTurn, mentionsClaude, postMessage, type ChatEntry } from '../lib/schema'
import { formatCost, formatTime, formatTokens } from '../lib/format'
import type { Api } from '../lib/api'
import { useY } from '../room/session'
import { Markdown } from './Markdown'

const STATUS_WORDS: Record<string, string> = {
  thinking: 'thinking…',
  streaming: 'writing…',
  editing: 'editing files…',
  running: 'running code…',
  stopped: 'stopped',
  error: 'error',
  rejected: 'rejected'
}

export function Chat({ doc, api, author, readOnly }: { doc: Y.Doc; api: Api; author: string; readOnly: boolean }) {
  const entries = useY(chat(doc), () => chatEntries(doc))
  const [draft, setDraft] = useState('')
  const [notice, setNotice] = useState<string | null>(null)
  const list = useRef<HTMLDivElement>(null)
  const running = entries.some(isRunningTurn)

  // Keep the newest message in view while someone is at the bottom.
  useEffect(() => {
    const el = list.current
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 160) el.scrollTop = el.scrollHeight
  }, [entries])

  const send = (text: string) => {
    const t = text.trim()
    if (!t || readOnly) return
    postMessage(doc, author, t)
    setDraft('')
  }
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault()
      send(draft)
    }
  }
  const reject = async (turn: number) => {
    setNotice(null)
    try {
      const r = await api.rejectTurn(turn)
      setNotice(`Turn ${turn} rejected (${r.files.join(', ') || 'no files'}).`)
    } catch (e) {
      setNotice(`Could not reject turn ${turn}: ${(e as Error).message}`)
    }
  }

  return (
    <section className="flex h-full min-h-0 flex-col bg-zinc-900" data-testid="chat">
      <header className="flex items-center justify-between border-b border-zinc-800 px-3 py-1.5 text-xs uppercase tracking-wide text-zinc-400">
        <span>Chat</span>
        {running && !readOnly && (
          <button
            className="rounded bg-red-600/80 px-2 py-0.5 text-[11px] normal-case text-white hover:bg-red-500"
            data-testid="chat-stop"
            onClick={() => send('/stop')}
          >
            Stop Claude
          </button>
        )}
      </header>
      <div ref={list} className="min-h-0 flex-1 space-y-3 overflow-y-auto p-3 text-sm" data-testid="chat-list">
        {entries.length === 0 && (
          <p className="text-zinc-500">
            No messages yet. Type <code className="text-amber-200">@claude</code> and a request to ask Claude.
          </p>
        )}
        {entries.map((e) => (
          <Message key={e.id} e={e} readOnly={readOnly} onReject={reject} />
        ))}
      </div>
      {notice && (
        <p className="border-t border-zinc-800 px-3 py-1 text-xs text-zinc-300" data-testid="chat-notice">
          {notice}
        </p>
      )}
      <div className="border-t border-zinc-800 p-2">
        <textarea
          className="block w-full resize-none rounded-md bg-zinc-800 px-2 py-1.5 text-sm text-zinc-100 placeholder-zinc-500 outline-none focus:ring-1 focus:ring-sky-500 disabled:opacity-50"
          rows={2}
          placeholder={readOnly ? 'View only: you cannot post in this room' : 'Message — @claude to ask Claude (Enter sends)'}
          value={draft}
          disabled={readOnly}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={onKey}
          data-testid="chat-input"
        />
        <div className="mt-1 flex items-center justify-between text-[11px] text-zinc-500">
          <button
            className="rounded px-1 text-amber-300 hover:bg-zinc-800 disabled:opacity-40"
            disabled={readOnly}
            onClick={() => setDraft((d) => (mentionsClaude(d) ? d : `@claude ${d}`))}
            data-testid="chat-mention"
          >
            @claude
          </button>
          <button
            className="rounded bg-sky-600 px-2 py-0.5 text-white hover:bg-sky-500 disabled:opacity-40"
            disabled={readOnly || draft.trim() === ''}
            onClick={() => send(draft)}
            data-testid="chat-send"
          >
            Send
          </button>
        </div>
      </div>
    </section>
  )
}

function Message({ e, readOnly, onReject }: { e: ChatEntry; readOnly: boolean; onReject: (turn: number) => void }) {
  const isAi = e.kind === 'ai'
  const live = isRunningTurn(e)
  const cost = formatCost(e.costUsd)
  const tokens = formatTokens(e.usage)
  if (e.kind === 'system') {
    return (
      <div className="text-xs italic text-zinc-500" data-testid="chat-message" data-kind="system">
        <Markdown text={e.text} />
      </div>
    )
  }
  return (
    <article
      className={`rounded-lg px-3 py-2 ${isAi ? 'bg-amber-500/10 ring-1 ring-amber-500/20' : 'bg-zinc-800/60'}`}
      data-testid="chat-message"
      data-kind={e.kind}
      data-status={e.status ?? ''}
      data-turn={e.turn ?? ''}
    >
      <div className="mb-1 flex items-center gap-2 text-xs">
        <span className={`font-semibold ${isAi ? 'text-amber-300' : 'text-sky-300'}`}>{e.author}</span>
        <span className="text-zinc-500">{formatTime(e.ts)}</span>
        {isAi && e.status && STATUS_WORDS[e.status] && (
          <span className={`${live ? 'animate-pulse text-amber-200' : 'text-zinc-400'}`} data-testid="chat-status">
            {STATUS_WORDS[e.status]}
          </span>
        )}
      </div>
      <div data-testid="chat-text" className={e.rejected ? 'line-through opacity-60' : ''}>
        {e.text ? <Markdown text={e.text} /> : live ? <span className="text-zinc-500">…</span> : null}
      </div>
      {e.tools.length > 0 && (
        <ul className="mt-1 space-y-0.5 text-[11px] text-zinc-400">
          {e.tools.map((t, i) => (
            <li key={i}>
              <span className="font-mono">{t.name}</span>
              {t.path ? ` ${t.path}` : ''}
              {t.outcome && t.outcome !== 'ok' ? ` — ${t.outcome}` : ''}
            </li>
          ))}
        </ul>
      )}
      {e.error && <p className="mt-1 text-xs text-red-400">{e.error}</p>}
      {e.rejectError && <p className="mt-1 text-xs text-red-400">{e.rejectError}</p>}
      {isAi && (
        <div className="mt-1 flex items-center gap-2 text-[11px] text-zinc-500" data-testid="chat-meta">
          {e.model && <span>{e.model}</span>}
          {tokens && <span>{tokens}</span>}
          {cost && <span data-testid="chat-cost">{cost}</span>}
          {e.turn != null && !live && !e.rejected && e.status !== 'rejected' && !readOnly && (
            <button
              className="ml-auto rounded px-1.5 py-0.5 text-zinc-300 ring-1 ring-zinc-600 hover:bg-zinc-800"
              onClick={() => onReject(e.turn!)}
              data-testid="chat-reject"
              title="Undo every file change Claude made in this turn (people's edits stay)"
            >
              Reject this turn
            </button>
          )}
        </div>
      )}
    </article>
  )
}
