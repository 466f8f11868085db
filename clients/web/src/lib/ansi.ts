//! ANSI SGR escape sequences (colours, bold) in run output → styled segments for the terminal.

export interface Style {
  fg?: string
  bg?: string
  bold?: boolean
  dim?: boolean
  italic?: boolean
  underline?: boolean
}

export interface Segment {
  text: string
  style: Style
}

const BASIC = ['#1f2937', '#ef4444', '#22c55e', '#eab308', '#3b82f6', '#d946ef', '#06b6d4', '#e5e7eb']
const BRIGHT = ['#6b7280', '#f87171', '#4ade80', '#facc15', '#60a5fa', '#e879f9', '#22d3ee', '#ffffff']

/** xterm's 256-colour palette entry `n`. */
export function color256(n: number): string {
  if (n < 8) return BASIC[n]
  if (n < 16) return BRIGHT[n - 8]
  if (n < 232) {
    const i = n - 16
    const level = (v: number) => (v === 0 ? 0 : 55 + v * 40)
    const r = level(Math.floor(i / 36))
    const g = level(Math.floor(i / 6) % 6)
    const b = level(i % 6)
    return rgb(r, g, b)
  }
  const v = 8 + (n - 232) * 10
  return rgb(v, v, v)
}

function rgb(r: number, g: number, b: number): string {
  const h = (x: number) => Math.max(0, Math.min(255, x)).toString(16).padStart(2, '0')
  return `#${h(r)}${h(g)}${h(b)}`
}

function applySgr(style: Style, params: number[]): Style {
  const s = { ...style }
  if (params.length === 0) params = [0]
  for (let i = 0; i < params.length; i++) {
    const p = params[i]
    if (p === 0) {
      for (const k of Object.keys(s) as (keyof Style)[]) delete s[k]
    } else if (p === 1) s.bold = true
    else if (p === 2) s.dim = true
    else if (p === 3) s.italic = true
    else if (p === 4) s.underline = true
    else if (p === 22) {
      delete s.bold
      delete s.dim
    } else if (p === 23) delete s.italic
    else if (p === 24) delete s.underline
    else if (p >= 30 && p <= 37) s.fg = BASIC[p - 30]
    else if (p >= 90 && p <= 97) s.fg = BRIGHT[p - 90]
    else if (p === 39) delete s.fg
    else if (p >= 40 && p <= 47) s.bg = BASIC[p - 40]
    else if (p >= 100 && p <= 107) s.bg = BRIGHT[p - 100]
    else if (p === 49) delete s.bg
    else if (p === 38 || p === 48) {
      const key = p === 38 ? 'fg' : 'bg'
      if (params[i + 1] === 5 && i + 2 < params.length) {
        s[key] = color256(params[i + 2])
        i += 2
      } else if (params[i + 1] === 2 && i + 4 < params.length) {
        s[key] = rgb(params[i + 2], params[i + 3], params[i + 4])
        i += 4
      }
    }
  }
  return s
}

// CSI sequences (SGR and the rest, which are dropped), OSC sequences, and lone ESCs.
// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[([0-9;?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b/g

/**
 * Splits `text` into styled segments, starting from `style` (the state a previous chunk left).
 * Returns the segments and the style in force at the end.
 */
export function parseAnsi(text: string, style: Style = {}): { segments: Segment[]; style: Style } {
  const segments: Segment[] = []
  let last = 0
  let current = style
  const push = (t: string) => {
    if (t.length === 0) return
    const prev = segments[segments.length - 1]
    if (prev && sameStyle(prev.style, current)) prev.text += t
    else segments.push({ text: t, style: current })
  }
  for (const m of text.matchAll(ESCAPE)) {
    push(text.slice(last, m.index))
    last = m.index + m[0].length
    if (m[2] === 'm') {
      const params = m[1] === '' ? [] : m[1].split(';').map((x) => (x === '' ? 0 : Number(x)))
      current = applySgr(current, params)
    }
  }
  push(text.slice(last))
  return { segments, style: current }
}

function sameStyle(a: Style, b: Style): boolean {
  const ka = Object.keys(a) as (keyof Style)[]
  const kb = Object.keys(b)
  return ka.length === kb.length && ka.every((k) => a[k] === b[k])
}
