import { describe, expect, it } from 'vitest'
import { languageOf, loadLanguage } from './languages'

describe('language modes', () => {
  it('maps the issue languages by extension', () => {
    const table: [string, string | null][] = [
      ['main.py', 'python'],
      ['app.js', 'javascript'],
      ['x.mjs', 'javascript'],
      ['c.tsx', 'tsx'],
      ['t.ts', 'typescript'],
      ['index.html', 'html'],
      ['style.css', 'css'],
      ['src/lib.rs', 'rust'],
      ['README.md', 'markdown'],
      ['package.json', 'json'],
      ['Makefile', null],
      ['dir.v2/file', null],
      ['notes.txt', null]
    ]
    for (const [path, lang] of table) expect(languageOf(path), path).toBe(lang)
  })

  it('loads a real CodeMirror language for each', async () => {
    for (const path of ['a.py', 'a.js', 'a.ts', 'a.html', 'a.css', 'a.rs', 'a.md', 'a.json']) {
      expect(await loadLanguage(path), path).toBeTruthy()
    }
    expect(await loadLanguage('a.txt')).toBeNull()
  })
})
