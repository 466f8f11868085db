import { describe, expect, it } from 'vitest'
import { parseInline, parseMarkdown, safeHref } from './markdown'

describe('chat Markdown', () => {
  it('reads fenced code, closed and still streaming', () => {
    expect(parseMarkdown('Try:\n```python\nprint(1)\n```\nthen run')).toEqual([
      { t: 'para', children: [{ t: 'text', text: 'Try:' }] },
      { t: 'code', lang: 'python', code: 'print(1)', open: false },
      { t: 'para', children: [{ t: 'text', text: 'then run' }] }
    ])
    expect(parseMarkdown('```js\nlet x =')).toEqual([{ t: 'code', lang: 'js', code: 'let x =', open: true }])
  })

  it('reads headings, lists and paragraphs', () => {
    const blocks = parseMarkdown('# Plan\n- one\n- two\n\n1. a\n2. b\ntext\nmore')
    expect(blocks.map((b) => b.t)).toEqual(['heading', 'list', 'list', 'para'])
    expect(blocks[1]).toMatchObject({ ordered: false, items: [[{ text: 'one' }], [{ text: 'two' }]] })
    expect(blocks[2]).toMatchObject({ ordered: true })
    expect(blocks[3]).toEqual({ t: 'para', children: [{ t: 'text', text: 'text\nmore' }] })
  })

  it('reads inline code, bold, italic and safe links only', () => {
    expect(parseInline('use `x*y` **now** or *later* [docs](https://a.b/c)')).toEqual([
      { t: 'text', text: 'use ' },
      { t: 'code', text: 'x*y' },
      { t: 'text', text: ' ' },
      { t: 'strong', children: [{ t: 'text', text: 'now' }] },
      { t: 'text', text: ' or ' },
      { t: 'em', children: [{ t: 'text', text: 'later' }] },
      { t: 'text', text: ' ' },
      { t: 'link', href: 'https://a.b/c', children: [{ t: 'text', text: 'docs' }] }
    ])
    expect(parseInline('[x](javascript:alert(1))')).toEqual([{ t: 'text', text: '[x](javascript:alert(1))' }])
    expect(safeHref(' mailto:a@b ')).toBe('mailto:a@b')
    expect(parseInline('snake_case_name and 2 * 3 * 4')).toEqual([{ t: 'text', text: 'snake_case_name and 2 * 3 * 4' }])
    expect(parseInline('<img src=x onerror=alert(1)>')).toEqual([{ t: 'text', text: '<img src=x onerror=alert(1)>' }])
  })
})
