// The room link (`http://host/r/{room}#token=JWT`) as a full URL: server origin, room name, token,
// its claims. The path, fragment and JWT rules are clients/web/src/lib/link.ts's (the web page
// reads them from its own location; the extension also needs the origin).

import {
  canWrite as permits,
  parseLink as parseRoomPath,
  type RoomLink as WebRoomLink
} from '../../../web/src/lib/link'

export interface RoomLink extends WebRoomLink {
  /** `http(s)://host[:port]` (plus any path prefix before `/r/`). */
  origin: string
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
  const m = /^(.*)(\/r\/[^/]+\/?)$/.exec(url.pathname)
  if (!m) return null
  const link = parseRoomPath(m[2], url.hash)
  return link && { ...link, origin: url.origin + m[1] }
}

export function canWrite(claims: WebRoomLink['claims']): boolean {
  // Without readable claims, let the server decide (it refuses a read-only token's edits).
  return claims === null || permits(claims)
}

/** The WebSocket base the stock provider appends `/{room}` to. */
export function syncBase(link: RoomLink): string {
  return link.origin.replace(/^http/, 'ws') + '/sync'
}
