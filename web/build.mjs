// Bundles the pages into OUTDIR (CMake calls this after `npm ci`; see docs/ui.md):
//   index.html, dashboard.html, favicon.svg   copied
//   app.js, dashboard.js, chunk-HASH.js       the two pages' scripts; the chunk holds xterm.js
//   app.css                                   our stylesheet with xterm.css inlined
// Usage: node build.mjs OUTDIR [NODE_MODULES]   (default: ./dist, ./node_modules; CMake keeps
// node_modules in the build directory)
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(process.argv[2] || path.join(here, 'dist'));
const modules = path.resolve(process.argv[3] || path.join(here, 'node_modules'));
const nodePaths = [modules];
const { build } = createRequire(path.join(modules, 'noop.js'))('esbuild');

await mkdir(outdir, { recursive: true });
await build({
  entryPoints: {
    app: path.join(here, 'src/server/main.js'),
    dashboard: path.join(here, 'src/dashboard/main.js'),
  },
  outdir,
  bundle: true,
  splitting: true,  // xterm.js and the shared modules go to one chunk both pages load
  chunkNames: 'chunk-[hash]',
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  legalComments: 'eof',
  nodePaths,
  logLevel: 'warning',
});
await build({
  entryPoints: { app: path.join(here, 'src/app.css') },
  outdir,
  bundle: true,
  minify: true,
  nodePaths,
  logLevel: 'warning',
});
for (const file of ['index.html', 'dashboard.html', 'favicon.svg']) {
  await copyFile(path.join(here, 'src', file), path.join(outdir, file));
}
