// Vite build of the web IDE: one small entry chunk, language modes split out and loaded on demand.
import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'
import tailwindcss from '@tailwindcss/vite'

export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: {
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
    // The entry chunk is budgeted gzipped (docs/benchmarks.md), not by Rolldown's raw-size hint.
    chunkSizeWarningLimit: 1000
  },
  server: {
    // `npm run dev` proxies the API and the sync socket to a local `tandem serve`.
    proxy: {
      '/api': 'http://127.0.0.1:8787',
      '/sync': { target: 'ws://127.0.0.1:8787', ws: true },
      '^/r/[^/]+/preview/.*': 'http://127.0.0.1:8787'
    }
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node'
  }
})
