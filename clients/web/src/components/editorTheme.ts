//! The editor's dark theme and the look of Claude's leased range.

import { EditorView } from '@codemirror/view'

export const theme = EditorView.theme(
  {
    '&': { height: '100%', backgroundColor: '#0b0b0f', color: '#e4e4e7', fontSize: '13.5px' },
    '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', lineHeight: '1.55' },
    '.cm-content': { caretColor: '#f4f4f5' },
    '.cm-cursor, .cm-dropCursor': { borderLeftColor: '#f4f4f5' },
    '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: '#3f3f4666 !important' },
    '.cm-gutters': { backgroundColor: '#0b0b0f', color: '#52525b', border: 'none' },
    '.cm-activeLine': { backgroundColor: '#ffffff08' },
    '.cm-activeLineGutter': { backgroundColor: '#ffffff08', color: '#a1a1aa' },
    '.cm-claude-lease': {
      backgroundColor: '#d9770633',
      outline: '1px dashed #f59e0b88',
      borderRadius: '2px'
    },
    '.cm-claude-lease-label': {
      position: 'relative',
      fontSize: '10px',
      fontFamily: 'ui-sans-serif, system-ui, sans-serif',
      padding: '0 4px',
      marginRight: '2px',
      borderRadius: '3px',
      backgroundColor: '#d97706',
      color: '#fff',
      verticalAlign: 'top'
    },
    '.cm-ySelectionInfo': { opacity: 1, fontFamily: 'ui-sans-serif, system-ui, sans-serif', top: '-1.2em' }
  },
  { dark: true }
)
