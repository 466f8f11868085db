// A character diff (Myers, over code points so a surrogate pair is never split) as runs of
// UTF-16 ranges of the old and new text: `equal`, or `change` (old range replaced by new range).

export interface Segment {
  equal: boolean
  oldFrom: number
  oldTo: number
  newFrom: number
  newTo: number
}

/** Above this many differences in the middle, the middle is one change (still correct, coarser). */
const MAX_D = 1000

export function segments(a: string, b: string): Segment[] {
  const A = Array.from(a)
  const B = Array.from(b)
  let pre = 0
  while (pre < A.length && pre < B.length && A[pre] === B[pre]) pre++
  let suf = 0
  while (suf < A.length - pre && suf < B.length - pre && A[A.length - 1 - suf] === B[B.length - 1 - suf]) suf++
  const am = A.slice(pre, A.length - suf)
  const bm = B.slice(pre, B.length - suf)
  // Ops over code points: true = equal, then count.
  const ops: { kind: 'eq' | 'del' | 'ins'; n: number }[] = []
  const push = (kind: 'eq' | 'del' | 'ins', n: number) => {
    if (n === 0) return
    const last = ops[ops.length - 1]
    if (last && last.kind === kind) last.n += n
    else ops.push({ kind, n })
  }
  push('eq', pre)
  for (const op of myers(am, bm)) push(op.kind, op.n)
  push('eq', suf)

  // Code-point counts → UTF-16 ranges; adjacent deletes and inserts merge into one change.
  const out: Segment[] = []
  let ai = 0
  let bi = 0
  let a16 = 0
  let b16 = 0
  const units = (cps: string[], from: number, n: number) => {
    let u = 0
    for (let i = from; i < from + n; i++) u += cps[i].length
    return u
  }
  for (const op of ops) {
    const oldN = op.kind === 'ins' ? 0 : op.n
    const newN = op.kind === 'del' ? 0 : op.n
    const oldU = units(A, ai, oldN)
    const newU = units(B, bi, newN)
    const last = out[out.length - 1]
    if (op.kind !== 'eq' && last && !last.equal) {
      last.oldTo += oldU
      last.newTo += newU
    } else {
      out.push({ equal: op.kind === 'eq', oldFrom: a16, oldTo: a16 + oldU, newFrom: b16, newTo: b16 + newU })
    }
    ai += oldN
    bi += newN
    a16 += oldU
    b16 += newU
  }
  return out
}

/** Myers' O((N+M)D) diff of two code point arrays, as equal/delete/insert runs in order. */
function myers(a: string[], b: string[]): { kind: 'eq' | 'del' | 'ins'; n: number }[] {
  const n = a.length
  const m = b.length
  if (n === 0 && m === 0) return []
  if (n === 0) return [{ kind: 'ins', n: m }]
  if (m === 0) return [{ kind: 'del', n }]
  const max = Math.min(n + m, MAX_D)
  const off = max + 1
  let v = new Int32Array(2 * max + 3)
  const trace: Int32Array[] = []
  let found = false
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice())
    const next = v.slice()
    for (let k = -d; k <= d; k += 2) {
      let x: number
      if (k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])) x = v[off + k + 1]
      else x = v[off + k - 1] + 1
      let y = x - k
      while (x < n && y < m && a[x] === b[y]) {
        x++
        y++
      }
      next[off + k] = x
      if (x >= n && y >= m) {
        found = true
        break
      }
    }
    v = next
  }
  if (!found) return [{ kind: 'del', n }, { kind: 'ins', n: m }]
  trace.push(v)
  // Backtrack from (n, m).
  const rev: { kind: 'eq' | 'del' | 'ins'; n: number }[] = []
  let x = n
  let y = m
  for (let d = trace.length - 2; d >= 0; d--) {
    const vd = trace[d]
    const k = x - y
    let prevK: number
    if (k === -d || (k !== d && vd[off + k - 1] < vd[off + k + 1])) prevK = k + 1
    else prevK = k - 1
    const prevX = d === 0 ? 0 : vd[off + prevK]
    const prevY = prevX - prevK
    while (x > prevX && y > prevY) {
      rev.push({ kind: 'eq', n: 1 })
      x--
      y--
    }
    if (d > 0) {
      if (x === prevX) rev.push({ kind: 'ins', n: 1 })
      else rev.push({ kind: 'del', n: 1 })
    }
    x = prevX
    y = prevY
  }
  while (x > 0 && y > 0) {
    rev.push({ kind: 'eq', n: 1 })
    x--
    y--
  }
  return rev.reverse()
}
