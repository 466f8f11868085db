import { describe, expect, it } from 'vitest'
import { color256, parseAnsi } from './ansi'

describe('ANSI output', () => {
  it('passes plain text through as one segment', () => {
    expect(parseAnsi('hello\nworld').segments).toEqual([{ text: 'hello\nworld', style: {} }])
  })

  it('applies and resets SGR colours and bold', () => {
    const { segments, style } = parseAnsi('a\x1b[31mred\x1b[1m bold\x1b[0m plain')
    expect(segments.map((s) => s.text)).toEqual(['a', 'red', ' bold', ' plain'])
    expect(segments[1].style).toEqual({ fg: '#ef4444' })
    expect(segments[2].style).toEqual({ fg: '#ef4444', bold: true })
    expect(segments[3].style).toEqual({})
    expect(style).toEqual({})
  })

  it('reads 256-colour and true-colour forms', () => {
    expect(parseAnsi('\x1b[38;5;196mx').segments[0].style.fg).toBe(color256(196))
    expect(parseAnsi('\x1b[48;2;1;2;3mx').segments[0].style.bg).toBe('#010203')
    expect(color256(232)).toBe('#080808')
    expect(color256(9)).toBe('#f87171')
  })

  it('carries the style across chunks and drops other escapes', () => {
    const first = parseAnsi('\x1b[32mgreen')
    const second = parseAnsi(' still\x1b[2K\x1b]0;title\x07\x1b[39m done', first.style)
    expect(second.segments).toEqual([
      { text: ' still', style: { fg: '#22c55e' } },
      { text: ' done', style: {} }
    ])
  })
})
