// `npm run build` (part of build:lib): the package's command line, dist/cli.js — one Node
// ES module with everything it uses bundled (node: built-ins aside), named in package.json
// "bin". playwright-core stays outside: `check` imports it only when run (an optional peer).
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  ssr: { noExternal: true, target: 'node' },
  build: {
    ssr: resolve(import.meta.dirname, 'src/cli/main.ts'),
    outDir: 'dist',
    emptyOutDir: false,
    target: 'node20',
    rollupOptions: { external: ['playwright-core'], output: { format: 'es', entryFileNames: 'cli.js' } },
  },
});
