// The start page in local mode: "Create a room" lands in a new room with the starter project,
// its preview rendered. Driven by tests/e2e/web.rs with TANDEM_URL.
import { fail, launch, report, until } from './browser.mjs'

const base = process.env.TANDEM_URL ?? fail('setup', 'TANDEM_URL is not set')
const browser = await launch()
const page = await (await browser.newContext()).newPage()
await page.goto(base + '/')
await page.locator('[data-testid=create-room]').click()
await until('create', 'the new room', async () => /\/r\/[a-z0-9]+#token=/.test(page.url()))
await until('create', 'main.py in the editor', async () => (await page.locator('.cm-content').innerText()).includes('print('))
await until('create', 'the starter page in the preview', async () =>
  (await page.frameLocator('[data-testid=preview-frame]').locator('h1').innerText()).length > 0
)
const files = await page.locator('[data-testid=file-item]').evaluateAll((els) => els.map((e) => e.dataset.path))
report({ step: 'created', room: new URL(page.url()).pathname, files })
await browser.close()
