// The room link (`http://host/r/{room}#token=JWT`): server origin, room name, token, its claims.

export type Perm = 'read' | 'write' | 'admin'

export interface Claims {
  room: string
  perm: Perm
  sub?: string
  name?: string
  exp?: number
}

export interface RoomLink {
  /** `http(s)://host[:port]` (plus any path prefix before `/r/`). */
  origin: string
  room: string
  token: string
  claims: Claims | null
}

/** Reads a JWT's payload without checking it: the server checks; the client only adapts its UI. */
export function decodeClaims(token: string): Claims | null {
  const parts = token.split('.')
  if (parts.length !== 3) return null
  try {
    const json = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
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

/** Parses a room link; null when it is not one (no `/r/{room}` path or no `#token=`). */
export function parseLink(input: string): RoomLink | null {
  let url: URL
  try {
    url = new URL(input.trim())
  } catch {
    return null
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
  const m = /^(.*)\/r\/([^/]+)\/?$/.exec(url.pathname)
  if (!m) return null
  let room: string
  try {
    room = decodeURIComponent(m[2])
  } catch {
    return null
  }
  const token = new URLSearchParams(url.hash.replace(/^#/, '')).get('token')
  if (!room || !token) return null
  return { origin: url.origin + m[1], room, token, claims: decodeClaims(token) }
}

export function canWrite(claims: Claims | null): boolean {
  // Without readable claims, let the server decide (it refuses a read-only token's edits).
  return claims === null || claims.perm === 'write' || claims.perm === 'admin'
}

/** The WebSocket base the stock provider appends `/{room}` to. */
export function syncBase(link: RoomLink): string {
  return link.origin.replace(/^http/, 'ws') + '/sync'
}
