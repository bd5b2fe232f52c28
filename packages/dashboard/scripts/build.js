/* global process, console */
// Bundles the dashboard into dist/: index.html (never cached) and hashed assets under dist/assets/
// (cached for a year by the hub). `--watch` rebuilds on change, for development against a running hub.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const watch = process.argv.includes('--watch');

/** Writes index.html naming the hashed script and stylesheet esbuild just produced. */
const writeIndex = {
  name: 'write-index',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length > 0 || !result.metafile) return;
      const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file));
      const script = outputs.find((file) => /^main-.*\.js$/.test(file));
      const style = outputs.find((file) => /^main-.*\.css$/.test(file));
      const html = readFileSync(join(root, 'src/index.html'), 'utf8')
        .replace('__SCRIPT__', `/assets/${script}`)
        .replace('__STYLE__', `/assets/${style}`);
      writeFileSync(join(dist, 'index.html'), html);
      copyFileSync(join(root, 'src/favicon.svg'), join(dist, 'favicon.svg'));
      const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
      console.log(`dashboard: dist/ written (${(bytes / 1024).toFixed(1)} KiB of assets before gzip)`);
    });
  },
};

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });
const options = {
  entryPoints: [join(root, 'src/main.tsx')],
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: !watch,
  sourcemap: watch ? 'inline' : false,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  metafile: true,
  logLevel: 'warning',
  plugins: [writeIndex],
};
if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
  console.log('dashboard: watching src/ (reload the page after a change)');
} else {
  await esbuild.build(options);
}
