//! File extension → CodeMirror language support, each loaded on demand so the main bundle stays
//! small (a room usually needs one or two of them).

import type { Extension } from '@codemirror/state'

type Loader = () => Promise<Extension>

const LOADERS: Record<string, Loader> = {
  python: () => import('@codemirror/lang-python').then((m) => m.python()),
  javascript: () => import('@codemirror/lang-javascript').then((m) => m.javascript()),
  jsx: () => import('@codemirror/lang-javascript').then((m) => m.javascript({ jsx: true })),
  typescript: () => import('@codemirror/lang-javascript').then((m) => m.javascript({ typescript: true })),
  tsx: () => import('@codemirror/lang-javascript').then((m) => m.javascript({ typescript: true, jsx: true })),
  html: () => import('@codemirror/lang-html').then((m) => m.html()),
  css: () => import('@codemirror/lang-css').then((m) => m.css()),
  rust: () => import('@codemirror/lang-rust').then((m) => m.rust()),
  markdown: () => import('@codemirror/lang-markdown').then((m) => m.markdown()),
  json: () => import('@codemirror/lang-json').then((m) => m.json())
}

const BY_EXTENSION: Record<string, string> = {
  py: 'python',
  pyw: 'python',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'jsx',
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'tsx',
  html: 'html',
  htm: 'html',
  css: 'css',
  rs: 'rust',
  md: 'markdown',
  markdown: 'markdown',
  json: 'json'
}

/** The language name for a path (by its extension), or null for plain text. */
export function languageOf(path: string): string | null {
  const dot = path.lastIndexOf('.')
  if (dot < 0 || dot < path.lastIndexOf('/')) return null
  return BY_EXTENSION[path.slice(dot + 1).toLowerCase()] ?? null
}

/** The language extension for a path, loaded on demand; null for plain text. */
export async function loadLanguage(path: string): Promise<Extension | null> {
  const lang = languageOf(path)
  return lang ? LOADERS[lang]() : null
}

export const LANGUAGES = Object.keys(LOADERS)
