import { describe, expect, it } from 'vitest'
import { canWrite, decodeClaims, localPath, parseLink, roomFromPath, roomUrl, secondsLeft, tokenFromHash } from './link'

const b64url = (o: unknown) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(o))))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
const jwt = (claims: unknown) => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}.c2ln`

describe('room links', () => {
  it('reads the room from the path', () => {
    expect(roomFromPath('/r/demo')).toBe('demo')
    expect(roomFromPath('/r/demo/')).toBe('demo')
    expect(roomFromPath('/r/a%20b')).toBe('a b')
    expect(roomFromPath('/')).toBeNull()
    expect(roomFromPath('/r/demo/preview/x')).toBeNull()
    expect(roomFromPath('/r/%E0%A4%A')).toBeNull()
  })

  it('reads the token from the fragment, among other parameters', () => {
    expect(tokenFromHash('#token=abc.def.ghi')).toBe('abc.def.ghi')
    expect(tokenFromHash('#x=1&token=t')).toBe('t')
    expect(tokenFromHash('#token=')).toBeNull()
    expect(tokenFromHash('')).toBeNull()
  })

  it('decodes claims, non-ASCII names included, and refuses junk', () => {
    const c = decodeClaims(jwt({ room: 'demo', perm: 'write', sub: 'ada', name: 'Ada Lovelace 😀', exp: 100 }))
    expect(c).toEqual({ room: 'demo', perm: 'write', sub: 'ada', name: 'Ada Lovelace 😀', exp: 100 })
    expect(decodeClaims('not-a-jwt')).toBeNull()
    expect(decodeClaims(jwt({ room: 'demo', perm: 'root' }))).toBeNull()
    expect(decodeClaims(jwt({ perm: 'read' }))).toBeNull()
    expect(decodeClaims('a.%%%.c')).toBeNull()
  })

  it('knows what a link may do', () => {
    const read = parseLink('/r/demo', '#token=' + jwt({ room: 'demo', perm: 'read', exp: 1000 }))!
    expect(read.room).toBe('demo')
    expect(canWrite(read.claims)).toBe(false)
    expect(canWrite(decodeClaims(jwt({ room: 'demo', perm: 'write' })))).toBe(true)
    expect(canWrite(decodeClaims(jwt({ room: '*', perm: 'admin' })))).toBe(true)
    expect(canWrite(null)).toBe(false)
    expect(secondsLeft(read.claims, 990_000)).toBe(10)
    expect(secondsLeft(null, 0)).toBeNull()
    expect(parseLink('/r/demo', '')).toBeNull()
  })

  it('builds links and keeps returned links on this origin', () => {
    expect(roomUrl('http://h:1', 'a b', 't')).toBe('http://h:1/r/a%20b#token=t')
    expect(localPath('http://public.example/r/x#token=t')).toBe('/r/x#token=t')
  })
})
