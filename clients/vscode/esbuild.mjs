// Builds the extension (dist/extension.js: yjs, y-websocket and ws bundled, `vscode` external) or,
// with --test, the Node programs that drive the sync module in tests (out-test/sync.test.js and
// out-test/peer.js).
//
// src/sync imports the room schema, presence and link logic from clients/web/src/lib, whose
// `import 'yjs'` Node resolution would look up from clients/web. Every `yjs`, `lib0` and
// `y-protocols` import is resolved from this folder instead, so each bundle holds one Yjs (two break
// `instanceof Y.Text` and Yjs warns "Yjs was already imported") and clients/web/node_modules need
// not be installed. The build checks that in the bundle's inputs.
import * as esbuild from 'esbuild'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const ours = path.join(here, 'node_modules') + path.sep
const SHARED = /^(yjs|lib0|y-protocols)(\/.*)?$/

/**
 * Resolves the shared CRDT packages as if imported from clients/vscode/node_modules, from whatever
 * file: by its package.json `exports` (yjs.mjs, as y-websocket gets it) and not by tsconfig.json's
 * `paths`, which are for tsc (through them esbuild would take `main`, yjs.cjs: a second Yjs).
 */
const oneYjs = {
  name: 'one-yjs',
  setup(build) {
    build.onResolve({ filter: SHARED }, async (args) => {
      if (args.pluginData?.oneYjs || args.importer.startsWith(ours)) return undefined
      const r = await build.resolve(args.path, { kind: args.kind, resolveDir: ours, pluginData: { oneYjs: true } })
      if (r.errors.length > 0) return { errors: r.errors }
      return { path: r.path, external: r.external, sideEffects: r.sideEffects }
    })
  }
}

const test = process.argv.includes('--test')
const result = await esbuild.build({
  entryPoints: test ? ['test/sync.test.ts', 'test/peer.ts'] : ['src/extension.ts'],
  outdir: test ? 'out-test' : 'dist',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', 'bufferutil', 'utf-8-validate'],
  plugins: [oneYjs],
  metafile: true,
  sourcemap: true,
  minify: !test,
  logLevel: 'warning'
})

for (const [out, { inputs }] of Object.entries(result.metafile.outputs)) {
  if (!out.endsWith('.js')) continue
  const yjs = Object.keys(inputs).filter((i) => /(^|\/)node_modules\/yjs\/dist\/yjs\.[cm]?js$/.test(i))
  const foreign = Object.keys(inputs).filter(
    (i) => /(^|\/)node_modules\/(yjs|lib0|y-protocols)\//.test(i) && !path.resolve(here, i).startsWith(ours)
  )
  if (yjs.length !== 1 || foreign.length > 0) {
    console.error(`${out}: want one yjs from clients/vscode/node_modules, got ${JSON.stringify({ yjs, foreign })}`)
    process.exit(1)
  }
}
