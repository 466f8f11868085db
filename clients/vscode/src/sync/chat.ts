// Chat as VS Code asks Claude: the question's text and the entry that answers it. Reading, posting
// and classifying entries (readEntry, chatEntries, postMessage, isRunningTurn, mentionsClaude) is
// clients/web/src/lib/schema.ts.

import type * as Y from 'yjs'
import { chat, chatEntries, mentionsClaude, type ChatEntry } from '../../../web/src/lib/schema'

/** `@claude <prompt>` (unless the prompt already mentions Claude). */
export function askText(prompt: string): string {
  const p = prompt.trim()
  return mentionsClaude(p) ? p : `@claude ${p}`
}

/** The AI entry answering message `id` (its `reply_to` names it), or else the first AI entry after it. */
export function replyTo(doc: Y.Doc, id: string): ChatEntry | null {
  const entries = chatEntries(doc)
  const byRef = entries.find((e) => e.kind === 'ai' && chat(doc).get(e.index)?.get('reply_to') === id)
  if (byRef) return byRef
  const at = entries.findIndex((e) => e.id === id)
  if (at < 0) return null
  return entries.slice(at + 1).find((e) => e.kind === 'ai') ?? null
}
