//! Editor tabs: the open files, the active one, close buttons, and who is in each file.

export function Tabs(props: {
  tabs: string[]
  active: string | null
  presence: Map<string, string[]>
  onSelect: (path: string) => void
  onClose: (path: string) => void
}) {
  const { tabs, active, presence, onSelect, onClose } = props
  return (
    <div className="flex h-8 shrink-0 items-end overflow-x-auto border-b border-zinc-800 bg-zinc-900" data-testid="tabs">
      {tabs.map((t) => (
        <div
          key={t}
          className={`group flex h-full cursor-pointer items-center gap-1.5 border-r border-zinc-800 px-3 text-xs ${
            t === active ? 'bg-[#0b0b0f] text-zinc-100' : 'text-zinc-400 hover:text-zinc-200'
          }`}
          onClick={() => onSelect(t)}
          data-testid="tab"
          data-path={t}
          data-active={t === active}
        >
          <span>{t.split('/').pop()}</span>
          {(presence.get(t) ?? []).map((c, i) => (
            <span key={i} className="h-1.5 w-1.5 rounded-full" style={{ backgroundColor: c }} />
          ))}
          <button
            className="rounded px-0.5 text-zinc-500 opacity-0 hover:bg-zinc-700 hover:text-zinc-200 group-hover:opacity-100"
            onClick={(e) => {
              e.stopPropagation()
              onClose(t)
            }}
            title="Close"
          >
            ×
          </button>
        </div>
      ))}
    </div>
  )
}
