//! The code editor: CodeMirror 6 bound to one file's Y.Text with y-codemirror.next (everyone's
//! cursors and selections), Claude's leased range while it edits, read-only for view links.

import { useEffect, useRef, useState } from 'react'
import * as Y from 'yjs'
import type { WebsocketProvider } from 'y-websocket'
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next'
import { Compartment, EditorState, StateEffect, StateField, type Range } from '@codemirror/state'
import {
  Decoration,
  type DecorationSet,
  EditorView,
  WidgetType,
  crosshairCursor,
  drawSelection,
  dropCursor,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  rectangularSelection
} from '@codemirror/view'
import { defaultKeymap, indentWithTab } from '@codemirror/commands'
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language'
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search'
import { loadLanguage } from '../lib/languages'
import { leasesOn, type Lease, type Person } from '../lib/presence'
import { theme } from './editorTheme'

const setLeases = StateEffect.define<Lease[]>()

class LeaseLabel extends WidgetType {
  constructor(private name: string) {
    super()
  }
  eq(other: LeaseLabel) {
    return other.name === this.name
  }
  toDOM() {
    const el = document.createElement('span')
    el.className = 'cm-claude-lease-label'
    el.textContent = `${this.name} is editing`
    return el
  }
}

const leaseField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes)
    for (const e of tr.effects) {
      if (e.is(setLeases)) {
        const len = tr.state.doc.length
        const ranges: Range<Decoration>[] = []
        for (const l of e.value) {
          const from = Math.max(0, Math.min(l.from, len))
          const to = Math.max(from, Math.min(l.to, len))
          ranges.push(Decoration.widget({ widget: new LeaseLabel('Claude'), side: -1 }).range(from))
          if (to > from) ranges.push(Decoration.mark({ class: 'cm-claude-lease' }).range(from, to))
        }
        deco = Decoration.set(ranges, true)
      }
    }
    return deco
  },
  provide: (f) => EditorView.decorations.from(f)
})

export interface EditorProps {
  doc: Y.Doc
  provider: WebsocketProvider
  path: string
  text: Y.Text
  readOnly: boolean
  /** Everyone in the room (RoomPage's list), for Claude's leased range. */
  everyone: Person[]
  onView?: (view: EditorView | null) => void
}

export function Editor({ doc, provider, path, text, readOnly, everyone, onView }: EditorProps) {
  const host = useRef<HTMLDivElement>(null)
  const onViewRef = useRef(onView)
  onViewRef.current = onView
  const viewRef = useRef<EditorView | null>(null)

  useEffect(() => {
    const language = new Compartment()
    const editable = new Compartment()
    const undoManager = new Y.UndoManager(text)
    const view = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: text.toString(),
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          highlightSpecialChars(),
          drawSelection(),
          dropCursor(),
          EditorState.allowMultipleSelections.of(true),
          indentOnInput(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          bracketMatching(),
          rectangularSelection(),
          crosshairCursor(),
          highlightActiveLine(),
          highlightSelectionMatches(),
          keymap.of([...yUndoManagerKeymap, ...defaultKeymap, ...searchKeymap, indentWithTab]),
          language.of([]),
          editable.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
          yCollab(text, provider.awareness, { undoManager }),
          leaseField,
          theme
        ]
      })
    })
    viewRef.current = view
    onViewRef.current?.(view)
    let alive = true
    loadLanguage(path).then((ext) => {
      if (alive && ext) view.dispatch({ effects: language.reconfigure(ext) })
    })
    return () => {
      alive = false
      viewRef.current = null
      onViewRef.current?.(null)
      view.destroy()
      undoManager.destroy()
    }
  }, [doc, provider, path, text, readOnly])

  // Claude's leases on this file, from the people the room page tracks; a lease also lapses by
  // time, so they are looked at again every second while any is shown.
  const [now, setNow] = useState(Date.now)
  const leases = leasesOn(everyone, path, now)
  const key = JSON.stringify(leases)
  useEffect(() => {
    viewRef.current?.dispatch({ effects: setLeases.of(JSON.parse(key) as Lease[]) })
    if (key === '[]') return
    const timer = window.setTimeout(() => setNow(Date.now()), 1000)
    return () => window.clearTimeout(timer)
  }, [key, text, readOnly, now])

  return <div ref={host} className="h-full min-h-0 overflow-hidden" data-testid="editor" data-path={path} />
}
