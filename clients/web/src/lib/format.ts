//! Small formatting helpers shared by the panes.

export function formatCost(usd: number | undefined): string | null {
  if (usd == null) return null
  if (usd === 0) return '$0'
  if (usd < 0.01) return `$${usd.toFixed(4)}`
  return `$${usd.toFixed(2)}`
}

export function formatTime(ms: number): string {
  if (!ms) return ''
  const d = new Date(ms)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

export function formatTokens(usage: { input_tokens?: number; output_tokens?: number } | undefined): string | null {
  if (!usage) return null
  const i = usage.input_tokens ?? 0
  const o = usage.output_tokens ?? 0
  const k = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n))
  return `${k(i)} in · ${k(o)} out`
}
