//! Renders the Markdown tree of lib/markdown as React elements (never as HTML).

import { Fragment, type ReactNode } from 'react'
import { parseMarkdown, type Inline } from '../lib/markdown'

function inline(nodes: Inline[]): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.t) {
      case 'text':
        return <Fragment key={i}>{n.text}</Fragment>
      case 'code':
        return (
          <code key={i} className="rounded bg-zinc-800 px-1 py-0.5 font-mono text-[0.85em] text-amber-200">
            {n.text}
          </code>
        )
      case 'strong':
        return <strong key={i}>{inline(n.children)}</strong>
      case 'em':
        return <em key={i}>{inline(n.children)}</em>
      case 'link':
        return (
          <a key={i} href={n.href} target="_blank" rel="noreferrer noopener" className="text-sky-400 underline">
            {inline(n.children)}
          </a>
        )
    }
  })
}

export function Markdown({ text }: { text: string }) {
  return (
    <div className="space-y-2 break-words">
      {parseMarkdown(text).map((b, i) => {
        switch (b.t) {
          case 'code':
            return (
              <pre key={i} className="overflow-x-auto rounded-md bg-zinc-950 p-2 font-mono text-xs text-zinc-200" data-lang={b.lang}>
                <code>{b.code}</code>
              </pre>
            )
          case 'heading':
            return (
              <p key={i} className="font-semibold">
                {inline(b.children)}
              </p>
            )
          case 'list': {
            const Tag = b.ordered ? 'ol' : 'ul'
            return (
              <Tag key={i} className={`${b.ordered ? 'list-decimal' : 'list-disc'} space-y-0.5 pl-5`}>
                {b.items.map((item, j) => (
                  <li key={j}>{inline(item)}</li>
                ))}
              </Tag>
            )
          }
          case 'para':
            return (
              <p key={i} className="whitespace-pre-wrap">
                {inline(b.children)}
              </p>
            )
        }
      })}
    </div>
  )
}
