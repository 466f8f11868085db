// The sync module as one more participant driven by a test (tests/e2e/editors.rs): a RoomSession
// joined by link, files bound to in-memory editor documents (test/editor.ts: versions, edits
// applied asynchronously on their version, as VS Code does). Env: LINK, NAME. Reads one JSON
// command per line on stdin and answers one JSON line on stdout:
//   {"cmd":"open","file":F}                      binds F, answers once the editor holds the room's text
//   {"cmd":"type","file":F,"from":A,"to":B,"text":T}   the person types (UTF-16 offsets)
//   {"cmd":"type","file":F,"before":S,"text":T}  types T just before the first S in the editor's text now
//   {"cmd":"text","file":F}                      -> {"text": the editor document's text}
//   {"cmd":"ask","prompt":P}                     -> {"message": id} (posts "@claude P")
//   {"cmd":"quit"}                               leaves and exits 0
// Errors answer {"error": message}.

import WebSocket from 'ws'
import * as readline from 'node:readline'
import { RoomSession } from '../src/sync/room'
import { FakeEditor } from './editor'

const session = RoomSession.join(process.env.LINK!, { name: process.env.NAME, WebSocketPolyfill: WebSocket })
const editors = new Map<string, FakeEditor>()
const out = (v: Record<string, unknown>) => console.log(JSON.stringify(v))

async function until(what: string, cond: () => boolean, ms = 15000) {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

async function handle(req: Record<string, unknown>): Promise<Record<string, unknown>> {
  const file = String(req.file ?? '')
  switch (req.cmd) {
    case 'open': {
      await session.whenSynced()
      const text = session.text(file)
      if (!text) throw new Error(`no file ${file}`)
      const ed = new FakeEditor('')
      const binding = session.bind(file, ed)
      // VS Code's onDidChangeTextDocument, as the extension wires it.
      ed.onChange((version, changes) => binding.editorChanged(version, changes))
      editors.set(file, ed)
      await until(`${file} in the editor`, () => ed.text() === text.toString())
      return { text: ed.text() }
    }
    case 'type': {
      const ed = editors.get(file)
      if (!ed) throw new Error(`${file} is not open`)
      if (typeof req.before === 'string') {
        // Where the caret is now: the text may have moved since the test last looked.
        const at = ed.text().indexOf(req.before)
        if (at < 0) throw new Error(`no ${req.before} in ${file}`)
        ed.type(at, at, String(req.text))
      } else {
        ed.type(Number(req.from), Number(req.to), String(req.text))
      }
      return {}
    }
    case 'text': {
      const ed = editors.get(file)
      if (!ed) throw new Error(`${file} is not open`)
      return { text: ed.text() }
    }
    case 'ask':
      return { message: session.ask(String(req.prompt)) }
    case 'quit':
      session.leave()
      setTimeout(() => process.exit(0), 50)
      return {}
    default:
      throw new Error(`unknown command ${String(req.cmd)}`)
  }
}

// One command at a time, in order.
let chain = Promise.resolve()
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  chain = chain.then(async () => {
    try {
      out(await handle(JSON.parse(line)))
    } catch (e) {
      out({ error: String(e instanceof Error ? e.message : e) })
    }
  })
})
