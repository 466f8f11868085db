//! A small Markdown reader for chat messages: fenced code, headings, lists, paragraphs and
//! inline code, bold, italic and links. It yields a tree (rendered by React, so nothing from a
//! message is ever inserted as HTML). An unclosed fence — a reply still streaming — is code.

export type Inline =
  | { t: 'text'; text: string }
  | { t: 'code'; text: string }
  | { t: 'strong'; children: Inline[] }
  | { t: 'em'; children: Inline[] }
  | { t: 'link'; href: string; children: Inline[] }

export type Block =
  | { t: 'code'; lang: string; code: string; open: boolean }
  | { t: 'heading'; level: number; children: Inline[] }
  | { t: 'list'; ordered: boolean; items: Inline[][] }
  | { t: 'para'; children: Inline[] }

const FENCE = /^\s{0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/
const HEADING = /^(#{1,6})\s+(.*)$/
const ITEM = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+(.*)$/

export function parseMarkdown(src: string): Block[] {
  const lines = src.replace(/\r\n?/g, '\n').split('\n')
  const blocks: Block[] = []
  let para: string[] = []
  const flush = () => {
    if (para.length) blocks.push({ t: 'para', children: parseInline(para.join('\n')) })
    para = []
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const fence = FENCE.exec(line)
    if (fence) {
      flush()
      const marker = fence[1]
      const body: string[] = []
      let open = true
      for (i++; i < lines.length; i++) {
        if (lines[i].trim().startsWith(marker) && lines[i].trim().replace(/[`~]/g, '') === '') {
          open = false
          break
        }
        body.push(lines[i])
      }
      blocks.push({ t: 'code', lang: fence[2] ?? '', code: body.join('\n'), open })
      continue
    }
    const heading = HEADING.exec(line)
    if (heading) {
      flush()
      blocks.push({ t: 'heading', level: heading[1].length, children: parseInline(heading[2]) })
      continue
    }
    const item = ITEM.exec(line)
    if (item) {
      flush()
      const ordered = /\d/.test(item[1])
      const items: Inline[][] = [parseInline(item[2])]
      while (i + 1 < lines.length) {
        const next = ITEM.exec(lines[i + 1])
        if (!next || /\d/.test(next[1]) !== ordered) break
        items.push(parseInline(next[2]))
        i++
      }
      blocks.push({ t: 'list', ordered, items })
      continue
    }
    if (line.trim() === '') flush()
    else para.push(line)
  }
  flush()
  return blocks
}

/** Only links people can follow safely. */
export function safeHref(href: string): string | null {
  return /^(https?:\/\/|mailto:)/i.test(href.trim()) ? href.trim() : null
}

export function parseInline(src: string): Inline[] {
  const out: Inline[] = []
  let text = ''
  const pushText = () => {
    if (text) out.push({ t: 'text', text })
    text = ''
  }
  let i = 0
  while (i < src.length) {
    const c = src[i]
    if (c === '`') {
      const end = src.indexOf('`', i + 1)
      if (end > i) {
        pushText()
        out.push({ t: 'code', text: src.slice(i + 1, end) })
        i = end + 1
        continue
      }
    }
    if ((c === '*' || c === '_') && src[i + 1] === c) {
      const end = src.indexOf(c + c, i + 2)
      if (end > i + 2) {
        pushText()
        out.push({ t: 'strong', children: parseInline(src.slice(i + 2, end)) })
        i = end + 2
        continue
      }
    }
    if (c === '*' || (c === '_' && (i === 0 || /\W/.test(src[i - 1])))) {
      const end = src.indexOf(c, i + 1)
      if (end > i + 1 && src[i + 1] !== ' ') {
        pushText()
        out.push({ t: 'em', children: parseInline(src.slice(i + 1, end)) })
        i = end + 1
        continue
      }
    }
    if (c === '[') {
      const m = /^\[([^\]]+)\]\(([^)\s]+)\)/.exec(src.slice(i))
      const href = m && safeHref(m[2])
      if (m && href) {
        pushText()
        out.push({ t: 'link', href, children: parseInline(m[1]) })
        i += m[0].length
        continue
      }
    }
    text += c
    i++
  }
  pushText()
  return out
}
