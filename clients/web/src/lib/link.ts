//! The room link: room name from the path, capability token from the fragment, its claims.

export type Perm = 'read' | 'write' | 'admin'

export interface Claims {
  room: string
  perm: Perm
  sub?: string
  name?: string
  exp?: number
}

export interface RoomLink {
  room: string
  token: string
  claims: Claims | null
}

/** `/r/{room}` → the room name (decoded), else null. */
export function roomFromPath(pathname: string): string | null {
  const m = /^\/r\/([^/]+)\/?$/.exec(pathname)
  if (!m) return null
  try {
    return decodeURIComponent(m[1])
  } catch {
    return null
  }
}

/** `#token=...` (other fragment parameters allowed) → the token, else null. */
export function tokenFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''))
  const token = params.get('token')
  return token && token.length > 0 ? token : null
}

/** Reads a JWT's payload without checking it: the server checks; the page only adapts its UI. */
export function decodeClaims(token: string): Claims | null {
  const parts = token.split('.')
  if (parts.length !== 3) return null
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/')
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4)
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0))
    const json = JSON.parse(new TextDecoder().decode(bytes))
    if (typeof json !== 'object' || json === null || typeof json.room !== 'string') return null
    if (!['read', 'write', 'admin'].includes(json.perm)) return null
    return {
      room: json.room,
      perm: json.perm,
      sub: typeof json.sub === 'string' ? json.sub : undefined,
      name: typeof json.name === 'string' ? json.name : undefined,
      exp: typeof json.exp === 'number' ? json.exp : undefined
    }
  } catch {
    return null
  }
}

export function parseLink(pathname: string, hash: string): RoomLink | null {
  const room = roomFromPath(pathname)
  const token = tokenFromHash(hash)
  if (!room || !token) return null
  return { room, token, claims: decodeClaims(token) }
}

export function canWrite(claims: Claims | null): boolean {
  return claims?.perm === 'write' || claims?.perm === 'admin'
}

/** Seconds until the token expires (negative once expired), or null without an expiry. */
export function secondsLeft(claims: Claims | null, nowMs: number): number | null {
  if (!claims?.exp) return null
  return claims.exp - Math.floor(nowMs / 1000)
}

/** The link for a room and token on this page's origin. */
export function roomUrl(origin: string, room: string, token: string): string {
  return `${origin}/r/${encodeURIComponent(room)}#token=${token}`
}

/** A link the server returned (absolute, possibly with another public host) as a path on this origin. */
export function localPath(link: string): string {
  const u = new URL(link, 'http://x')
  return u.pathname + u.hash
}
