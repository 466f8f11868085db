//! Resizable panes (Split.js) on wide screens; on a phone-sized screen the panes stack.

import { Children, useEffect, useRef, type ReactNode } from 'react'
import Split from 'split.js'

export function Panes({
  direction,
  sizes,
  minSize = 120,
  stacked,
  children
}: {
  direction: 'horizontal' | 'vertical'
  sizes: number[]
  minSize?: number
  stacked: boolean
  children: ReactNode
}) {
  const refs = useRef<(HTMLDivElement | null)[]>([])
  const items = Children.toArray(children)
  const count = items.length
  const key = sizes.join(',')

  useEffect(() => {
    if (stacked || count < 2) return
    const els = refs.current.slice(0, count).filter((e): e is HTMLDivElement => e !== null)
    const split = Split(els, {
      direction,
      sizes,
      minSize,
      gutterSize: 5,
      snapOffset: 0
    })
    return () => split.destroy()
    // `sizes` is compared through `key`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stacked, count, direction, key, minSize])

  const flex = stacked ? 'flex-col' : direction === 'horizontal' ? 'flex-row' : 'flex-col'
  return (
    <div className={`flex ${flex} ${stacked ? '' : 'h-full min-h-0'} min-w-0`}>
      {items.map((child, i) => (
        <div
          key={i}
          ref={(el) => {
            refs.current[i] = el
          }}
          className={stacked ? 'min-h-[45vh] w-full border-b border-zinc-800' : 'min-h-0 min-w-0 overflow-hidden'}
          style={!stacked && count < 2 ? { flex: 1 } : undefined}
        >
          {child}
        </div>
      ))}
    </div>
  )
}
