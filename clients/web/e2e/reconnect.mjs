// The room page across a server crash: driven by tests/e2e/web.rs, which kills `tandem` when
// this script prints {"step":"ready"} and answers "down" on stdin, then restarts it and answers
// "up". Edits typed while the server is gone stay on the page and reach the room once it is back.
import { createInterface } from 'node:readline'
import { fail, launch, report, until } from './browser.mjs'

const env = (k) => process.env[k] ?? fail('setup', `${k} is not set`)
const link = `${env('TANDEM_URL')}/r/${encodeURIComponent(env('ROOM'))}#token=${env('TOKEN')}`
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
const expectLine = async (want) => {
  const { value } = await lines.next()
  if (value !== want) fail('protocol', `expected "${want}" on stdin, got ${JSON.stringify(value)}`)
}

const browser = await launch()
const page = await (await browser.newContext()).newPage()
const state = () => page.locator('[data-testid=connection-state]').getAttribute('data-state')
const text = () => page.evaluate(() => window.__tandem.session.doc.getMap('files').get('main.py')?.toString())

await page.goto(link)
await until('open', 'the room live', async () => (await state()) === 'live')
await page.locator('.cm-content').click()
await page.keyboard.press('Control+End')
await page.keyboard.type('online edit\n')
await until('open', 'the online edit in the doc', async () => (await text())?.includes('online edit'))
report({ step: 'ready' })
await expectLine('down')

await until('down', 'the reconnecting indicator', async () => (await state()) === 'reconnecting')
await page.keyboard.type('typed while the server was down\n')
if (!(await text()).includes('typed while the server was down')) fail('down', 'the offline edit is not on the page')
report({ step: 'offline', indicator: await page.locator('[data-testid=connection-state]').innerText() })
await expectLine('up')

await until('up', 'the room live again', async () => (await state()) === 'live', 30000)
// A newcomer loads the room from the restarted server: both edits are there.
const other = await (await browser.newContext()).newPage()
await other.goto(link)
await until('up', "the newcomer's copy", async () =>
  (await other.evaluate(() => window.__tandem?.session.doc.getMap('files').get('main.py')?.toString() ?? ''))?.includes('typed while the server was down')
)
report({ step: 'resynced', text: await text() })
await browser.close()
process.exit(0)
