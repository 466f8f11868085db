//! The code editor: CodeMirror 6 bound to one file's Y.Text with y-codemirror.next (everyone's
//! cursors and selections), Claude's leased range while it edits, read-only for view links.

import { useEffect, useRef } from 'react'
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
import { leasesOn, people, type Lease } from '../lib/presence'
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
  onView?: (view: EditorView | null) => void
}

export function Editor({ doc, provider, path, text, readOnly, onView }: EditorProps) {
  const host = useRef<HTMLDivElement>(null)
  const onViewRef = useRef(onView)
  onViewRef.current = onView

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
    onViewRef.current?.(view)
    let alive = true
    loadLanguage(path).then((ext) => {
      if (alive && ext) view.dispatch({ effects: language.reconfigure(ext) })
    })
    // Awareness changes arrive from inside editor updates too (y-codemirror.next publishes the
    // local cursor during one), so the lease update is dispatched after the current one, and only
    // when the leases differ.
    let shown = ''
    let queued = false
    const showLeases = () => {
      if (queued) return
      queued = true
      queueMicrotask(() => {
        queued = false
        if (!alive) return
        const list = people(doc, provider.awareness.getStates() as Map<number, Record<string, unknown>>, doc.clientID)
        const leases = leasesOn(list, path, Date.now())
        const key = JSON.stringify(leases)
        if (key === shown) return
        shown = key
        view.dispatch({ effects: setLeases.of(leases) })
      })
    }
    showLeases()
    provider.awareness.on('change', showLeases)
    // A lease ends by time too: look again when the latest one would lapse.
    const timer = window.setInterval(showLeases, 1000)
    return () => {
      alive = false
      window.clearInterval(timer)
      provider.awareness.off('change', showLeases)
      onViewRef.current?.(null)
      view.destroy()
      undoManager.destroy()
    }
  }, [doc, provider, path, text, readOnly])

  return <div ref={host} className="h-full min-h-0 overflow-hidden" data-testid="editor" data-path={path} />
}
