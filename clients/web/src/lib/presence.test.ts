import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { colorFor, cursorLocation, guestName, leasesOn, people } from './presence'
import { files } from './schema'

function docWith(paths: Record<string, string>) {
  const d = new Y.Doc()
  for (const [p, t] of Object.entries(paths)) files(d).set(p, new Y.Text(t))
  return d
}

const cursorAt = (text: Y.Text, index: number, extra: object = {}) => ({
  anchor: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, index)),
  head: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, index)),
  ...extra
})

describe('presence', () => {
  it('finds which file a cursor is in and where, as positions move with edits', () => {
    const d = docWith({ 'a.py': 'hello', 'b.py': 'world' })
    const b = files(d).get('b.py')!
    const cursor = cursorAt(b, 3)
    expect(cursorLocation(d, cursor)).toEqual({ file: 'b.py', head: 3 })
    b.insert(0, '>> ')
    expect(cursorLocation(d, cursor)).toEqual({ file: 'b.py', head: 6 })
    expect(cursorLocation(d, null)).toBeNull()
    expect(cursorLocation(d, { head: { junk: true } })).toBeNull()
  })

  it('lists people with self first, then Claude, with status and lease', () => {
    const d = docWith({ 'a.py': 'x = 1\n' })
    const a = files(d).get('a.py')!
    const states = new Map<number, Record<string, unknown>>([
      [7, { user: { name: 'Zoe', color: '#123456' }, cursor: cursorAt(a, 2) }],
      [1, { user: { name: 'Me' } }],
      [9, { user: { name: 'Claude', kind: 'ai' }, status: 'editing', cursor: cursorAt(a, 1, { file: 'a.py' }), lease: { file: 'a.py', from: 1, to: 4, until: 5000 } }],
      [4, { cursor: cursorAt(a, 0) }]
    ])
    const list = people(d, states, 1)
    expect(list.map((p) => p.name)).toEqual(['Me', 'Claude', 'Zoe'])
    expect(list[0]).toMatchObject({ self: true, color: colorFor('Me'), file: null })
    expect(list[1]).toMatchObject({ kind: 'ai', status: 'editing', file: 'a.py', head: 1, lease: { file: 'a.py', from: 1, to: 4 } })
    expect(list[2]).toMatchObject({ color: '#123456', file: 'a.py', head: 2 })
    expect(leasesOn(list, 'a.py', 4000)).toEqual([{ file: 'a.py', from: 1, to: 4, until: 5000 }])
    expect(leasesOn(list, 'a.py', 6000)).toEqual([])
    expect(leasesOn(list, 'b.py', 0)).toEqual([])
  })

  it('gives stable colours and friendly guest names', () => {
    expect(colorFor('ada')).toBe(colorFor('ada'))
    expect(guestName(() => 0)).toBe('Quick Otter')
    expect(guestName(() => 0.99)).toBe('Wise Falcon')
  })
})
