// Launches Debian's Chromium through playwright-core with the flags this machine needs
// (no sandbox as root, no GPU, no background network traffic on a closed network).
import { chromium } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run'
    ]
  })
}

/** Fails the scenario with a message (exit code 1), after printing what the step saw. */
export function fail(step, message) {
  console.error(`FAILED at ${step}: ${message}`)
  process.exit(1)
}

/** One result line on stdout (the Rust test reads them). */
export function report(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return NaN
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}

/** Polls `check` (async, truthy when done) every 25 ms up to `ms`. */
export async function until(step, what, check, ms = 20000) {
  const deadline = Date.now() + ms
  let last
  for (;;) {
    try {
      last = await check()
      if (last) return last
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) fail(step, `timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
