//! The HTTP API calls the page makes, with the link's token as a bearer token.

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string
  ) {
    super(message)
  }
}

export interface Version {
  id: string
  label: string
  author: string
  created_at: string
  size: number
}

export class Api {
  constructor(
    private room: string,
    private token: string | null,
    private base = ''
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {}
    if (this.token) headers.authorization = `Bearer ${this.token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    const text = await res.text()
    let json: unknown = null
    try {
      json = text ? JSON.parse(text) : null
    } catch {
      json = null
    }
    if (!res.ok) {
      const err = json && typeof json === 'object' ? (json as { error?: unknown }).error : undefined
      const msg = typeof err === 'string' ? err : text || res.statusText
      throw new ApiError(res.status, msg)
    }
    return json as T
  }

  private get r() {
    return `/api/rooms/${encodeURIComponent(this.room)}`
  }

  run(entry?: string) {
    return this.call<{ id: string; entry: string }>('POST', `${this.r}/runs`, entry ? { entry } : {})
  }
  cancelRun(id: string) {
    return this.call('POST', `${this.r}/runs/${encodeURIComponent(id)}/cancel`)
  }
  rejectTurn(turn: number) {
    return this.call<{ files: string[] }>('POST', `${this.r}/turns/${turn}/reject`)
  }
  versions() {
    return this.call<{ versions: Version[] }>('GET', `${this.r}/versions`)
  }
  saveVersion(label: string) {
    return this.call<Version>('POST', `${this.r}/versions`, { label })
  }
  restoreVersion(id: string) {
    return this.call('POST', `${this.r}/versions/${encodeURIComponent(id)}/restore`)
  }
  preview() {
    return this.call<{ url: string; expires_at: string }>('POST', `${this.r}/preview`)
  }
  shareLink(perm: 'read' | 'write') {
    return this.call<{ link: string }>('POST', `${this.r}/links`, { perm })
  }
  static createLocalRoom(base = '') {
    return new Api('', null, base).call<{ room: string; links: { edit: string; view: string } }>(
      'POST',
      '/api/local/rooms'
    )
  }
}
