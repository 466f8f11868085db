// Room paths as `tandem:/path` URIs (one room at a time, so the room is not in the URI).
import * as vscode from 'vscode'

export const SCHEME = 'tandem'

export const uriOf = (path: string) => vscode.Uri.from({ scheme: SCHEME, path: '/' + path })

export const pathOf = (uri: vscode.Uri): string | null =>
  uri.scheme === SCHEME ? uri.path.replace(/^\/+/, '') : null
