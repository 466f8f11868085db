// Randomised checks of the pure parts, run first by sync.test.ts: the diff reproduces the new text
// (never splitting a surrogate pair), a remote derivation applied in order gives the room's text and
// comes back as an echo, and a rebased local edit never deletes remote text.
import { segments } from '../src/sync/diff'
import { Shadow } from '../src/sync/shadow'

const ALPHABET = ['a', 'b', 'c', '😀', '中', '\n']

export function fuzz(rounds = 5000): void {
  let seed = 1
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed % n
  }
  const rs = (n: number) => Array.from({ length: rnd(n) }, () => ALPHABET[rnd(ALPHABET.length)]).join('')
  const apply = (t: string, cs: { from: number; to: number; text: string }[]) =>
    cs.reduce((acc, c) => acc.slice(0, c.from) + c.text + acc.slice(c.to), t)
  for (let i = 0; i < rounds; i++) {
    const a = rs(12)
    const b = rs(12)
    let rebuilt = ''
    for (const s of segments(a, b)) {
      rebuilt += b.slice(s.newFrom, s.newTo)
      if (s.equal && a.slice(s.oldFrom, s.oldTo) !== b.slice(s.newFrom, s.newTo)) throw new Error('equal run differs')
    }
    if (rebuilt !== b) throw new Error(`diff of ${JSON.stringify([a, b])}`)

    const sh = new Shadow(a, 1)
    const e = sh.remote(b)
    if ((e ? apply(a, e.changes) : a) !== b) throw new Error(`remote of ${JSON.stringify([a, b])}`)
    if (e && !sh.isEcho(2, e.changes)) throw new Error(`echo of ${JSON.stringify([a, b])}`)

    // The person replaces a range of `a` (whole code points) on a stale shadow; the room has "XY"
    // somewhere they have not seen.
    const cps = Array.from(a)
    const i1 = rnd(cps.length + 1)
    const i2 = i1 + rnd(cps.length - i1 + 1)
    const from = cps.slice(0, i1).join('').length
    const to = cps.slice(0, i2).join('').length
    const ins = rs(3)
    const at = rnd(cps.length + 1)
    const room = cps.slice(0, at).join('') + 'XY' + cps.slice(at).join('')
    const r = apply(room, new Shadow(a, 1).local(room, 2, [{ from, to, text: ins }]))
    if (!r.includes('XY') || r.replace('XY', '') !== apply(a, [{ from, to, text: ins }])) throw new Error(`rebase lost text: ${JSON.stringify({ a, room, from, to, ins, r })}`)
  }
}
