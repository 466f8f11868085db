import { describe, expect, it } from 'vitest'
import { createUiStore, preferredFile } from './store'

describe('UI store', () => {
  it('opens tabs once and closes to the neighbour', () => {
    const s = createUiStore()
    s.getState().openFile('a.py')
    s.getState().openFile('b.py')
    s.getState().openFile('c.py')
    s.getState().openFile('a.py')
    expect(s.getState().tabs).toEqual(['a.py', 'b.py', 'c.py'])
    expect(s.getState().active).toBe('a.py')
    s.getState().openFile('b.py')
    s.getState().closeTab('b.py')
    expect(s.getState().tabs).toEqual(['a.py', 'c.py'])
    expect(s.getState().active).toBe('c.py')
    s.getState().closeTab('c.py')
    s.getState().closeTab('a.py')
    expect(s.getState().active).toBeNull()
  })

  it('opens the main file of a room on first sight', () => {
    const s = createUiStore()
    s.getState().syncFiles(['README.md', 'index.html', 'main.py'])
    expect(s.getState()).toMatchObject({ tabs: ['main.py'], active: 'main.py' })
    expect(preferredFile(['b.txt', 'README.md'])).toBe('README.md')
    expect(preferredFile(['b.txt', 'a.txt'])).toBe('b.txt')
  })

  it('follows renames and deletions made by anyone', () => {
    const s = createUiStore()
    s.getState().syncFiles(['a.py', 'b.py'])
    s.getState().openFile('b.py')
    s.getState().syncFiles(['a.py', 'c.py'], { from: 'b.py', to: 'c.py' })
    expect(s.getState()).toMatchObject({ tabs: ['a.py', 'c.py'], active: 'c.py' })
    s.getState().syncFiles(['a.py'])
    expect(s.getState()).toMatchObject({ tabs: ['a.py'], active: 'a.py' })
    const before = s.getState()
    s.getState().syncFiles(['a.py'])
    expect(s.getState()).toBe(before)
  })

  it('keeps follow, connection, and panel state', () => {
    const s = createUiStore()
    s.getState().follow(42)
    s.getState().setConnection('connected')
    s.getState().setSynced(true)
    s.getState().toggleVersions()
    expect(s.getState()).toMatchObject({ following: 42, connection: 'connected', synced: true, everSynced: true, versionsOpen: true })
    s.getState().setSynced(false)
    expect(s.getState()).toMatchObject({ synced: false, everSynced: true })
    s.getState().toggleVersions(false)
    s.getState().setFatal('gone')
    expect(s.getState()).toMatchObject({ versionsOpen: false, fatal: 'gone' })
  })
})
