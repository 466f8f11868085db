import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  chatEntries,
  createFile,
  deleteFile,
  fileText,
  fileTree,
  files,
  listFiles,
  mentionsClaude,
  postMessage,
  readRun,
  renameFile,
  runOutcome,
  runSeconds,
  runs,
  validPath,
  chat,
  isRunningTurn
} from './schema'

/** Two replicas that exchange every update, like two browsers in one room. */
function pair() {
  const a = new Y.Doc()
  const b = new Y.Doc()
  a.on('update', (u: Uint8Array) => Y.applyUpdate(b, u))
  b.on('update', (u: Uint8Array) => Y.applyUpdate(a, u))
  return [a, b]
}

describe('files', () => {
  it('follows the server path rule', () => {
    for (const ok of ['main.py', 'src/a.rs', 'a b/ü.txt']) expect(validPath(ok)).toBe(true)
    for (const bad of ['', '/abs', 'a//b', './a', 'a/../b', 'a\\b', 'x\0', 'a/'.repeat(300)]) expect(validPath(bad)).toBe(false)
  })

  it('creates, renames and deletes files every replica sees', () => {
    const [a, b] = pair()
    expect(createFile(a, 'src/app.py', 'print(1)\n')).toBeNull()
    expect(createFile(a, 'src/app.py')).toBe('exists')
    expect(createFile(a, '../x')).toBe('invalid')
    expect(fileText(b, 'src/app.py')!.toString()).toBe('print(1)\n')
    expect(renameFile(b, 'src/app.py', 'app.py')).toBeNull()
    expect(listFiles(a)).toEqual(['app.py'])
    expect(fileText(a, 'app.py')!.toString()).toBe('print(1)\n')
    expect(renameFile(a, 'gone.py', 'x.py')).toBe('missing')
    expect(deleteFile(a, 'app.py')).toBe(true)
    expect(deleteFile(a, 'app.py')).toBe(false)
    expect(listFiles(b)).toEqual([])
  })

  it('ignores values that are not texts and builds a sorted tree', () => {
    const d = new Y.Doc()
    files(d).set('z.txt', new Y.Text('z'))
    ;(files(d) as Y.Map<unknown>).set('junk', 42)
    files(d).set('src/b.py', new Y.Text())
    files(d).set('src/a/c.py', new Y.Text())
    files(d).set('README.md', new Y.Text())
    expect(listFiles(d)).toEqual(['README.md', 'src/a/c.py', 'src/b.py', 'z.txt'])
    const tree = fileTree(listFiles(d))
    expect(tree.map((n) => n.name)).toEqual(['src', 'README.md', 'z.txt'])
    expect(tree[0].children!.map((n) => n.path)).toEqual(['src/a', 'src/b.py'])
    expect(tree[0].children![0].children![0].path).toBe('src/a/c.py')
  })
})

describe('chat', () => {
  it('posts messages the other replica reads, and reads AI entries', () => {
    const [a, b] = pair()
    const id = postMessage(a, 'ada', '@claude add a test', 1000)
    const ai = new Y.Map<unknown>()
    b.transact(() => {
      ai.set('id', 'r1')
      ai.set('author', 'Claude')
      ai.set('kind', 'ai')
      ai.set('ts', 1001)
      ai.set('turn', 3)
      ai.set('status', 'streaming')
      ai.set('model', 'claude-sonnet-4-5')
      ai.set('cost_usd', 0.0123)
      ai.set('usage', { input_tokens: 1200, output_tokens: 80 })
      ai.set('tools', [{ name: 'str_replace', path: 'app.py', outcome: 'ok' }, 'junk'])
      ai.set('text', new Y.Text('Sure'))
      chat(b).push([ai])
    })
    ;(ai.get('text') as Y.Text).insert(4, ', adding it.')
    const [human, reply] = chatEntries(a)
    expect(human).toMatchObject({ id, author: 'ada', kind: 'human', text: '@claude add a test', ts: 1000 })
    expect(reply).toMatchObject({
      kind: 'ai',
      text: 'Sure, adding it.',
      turn: 3,
      status: 'streaming',
      model: 'claude-sonnet-4-5',
      costUsd: 0.0123,
      usage: { input_tokens: 1200, output_tokens: 80 },
      tools: [{ name: 'str_replace', path: 'app.py', outcome: 'ok' }],
      rejected: false
    })
    expect(isRunningTurn(reply)).toBe(true)
    ai.set('status', 'done')
    ai.set('rejected', { by: 'bob', at: 1, files: ['app.py'] })
    expect(isRunningTurn(chatEntries(a)[1])).toBe(false)
    expect(chatEntries(a)[1].rejected).toBe(true)
  })

  it('reads plain-map entries from stock clients', () => {
    const d = new Y.Doc()
    const m = new Y.Map<unknown>()
    chat(d).push([m])
    m.set('text', 'plain string')
    expect(chatEntries(d)[0]).toMatchObject({ kind: 'human', author: 'someone', text: 'plain string' })
    expect(chatEntries(d)[0].id).toMatch(/^c\d+\.\d+$/)
  })

  it('sees @claude as a word in any case', () => {
    for (const yes of ['@claude hi', 'hey @Claude, fix it', '(@CLAUDE)']) expect(mentionsClaude(yes)).toBe(true)
    for (const no of ['claude hi', 'mail@claude.ai', '@claudette', '@@claude x']) expect(mentionsClaude(no)).toBe(false)
  })
})

describe('runs', () => {
  it('reads a run entry with stderr-marked output and says how it ended', () => {
    const d = new Y.Doc()
    const m = new Y.Map<unknown>()
    d.transact(() => {
      runs(d).push([m])
      m.set('id', 'run-1')
      m.set('entry', 'main.py')
      m.set('status', 'running')
      m.set('started_at', 1000)
      m.set('requested_by', 'ai:claude')
      const out = new Y.Text()
      m.set('output', out)
      out.insert(0, 'ok\n')
      out.insert(3, 'Traceback\n', { stderr: true })
    })
    let r = readRun(m, 0)
    expect(r.output).toEqual([
      { text: 'ok\n', stderr: false },
      { text: 'Traceback\n', stderr: true }
    ])
    expect(runSeconds(r, 3500)).toBe('2.5')
    expect(runOutcome(r)).toBe('running')
    m.set('status', 'exited')
    m.set('exit_code', 1)
    m.set('duration_ms', 1234)
    r = readRun(m, 0)
    expect(runOutcome(r)).toBe('exit 1')
    expect(runSeconds(r, 0)).toBe('1.2')
    expect(runOutcome({ ...r, status: 'killed', reason: 'timeout' })).toBe('killed (timeout)')
    expect(runOutcome({ ...r, status: 'failed', message: 'runner unreachable' })).toBe('failed: runner unreachable')
    expect(runOutcome({ ...r, status: 'signaled', signal: 11 })).toBe('signal 11')
  })
})
