// Builds the extension (dist/extension.js: yjs, y-websocket and ws bundled, `vscode` external) or,
// with --test, the Node programs that drive the sync module in tests (out-test/sync.test.js and
// out-test/peer.js).
import * as esbuild from 'esbuild'

const test = process.argv.includes('--test')
await esbuild.build({
  entryPoints: test ? ['test/sync.test.ts', 'test/peer.ts'] : ['src/extension.ts'],
  outdir: test ? 'out-test' : 'dist',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', 'bufferutil', 'utf-8-validate'],
  sourcemap: true,
  minify: !test,
  logLevel: 'warning'
})
