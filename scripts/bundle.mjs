// Two packagings of one esbuild build of the CLI, every dependency inlined, split at the lazy
// command imports so that a command loads only its own code (startup is most of what `snapshot`
// and `rewrite` cost):
// - dist/split/: the bin's, one file per chunk.
// - dist/repro-sources.mjs: the same chunks in one file, for Dockerfiles that bind-mount it into
//   an image with no node_modules (templates/). The chunks are string literals, which V8 only
//   scans, and a synchronous module hook (module.registerHooks, Node 22.15+) serves them as
//   modules when first imported: a start compiles the chunks its command needs, not all 680 KB.
import { build } from 'esbuild';
import { readdir, readFile } from 'node:fs/promises';
import { readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';

// src/generate/templates.ts reads templates/ from disk; the builds carry the text instead.
const inlineTemplates = {
  name: 'inline-templates',
  setup(b) {
    b.onLoad({ filter: /src[\\/]generate[\\/]templates\.ts$/ }, async () => {
      const files = {};
      for (const name of await readdir('templates/sources')) files[`sources/${name}`] = await readFile(`templates/sources/${name}`, 'utf8');
      return {
        loader: 'js',
        contents: `const T = ${JSON.stringify(files)};
export async function loadTemplate(name) {
  if (!(name in T)) throw new Error('no template ' + name);
  return T[name];
}`,
      };
    });
  },
};

// commander loads node:child_process (and with it net and dgram) for executable subcommands,
// which this CLI never uses; every other importer gets the real module.
const noCommanderChildProcess = {
  name: 'no-commander-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'commander-stub' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'commander-stub' }, () => ({
      loader: 'js',
      contents: "module.exports = { spawn() { throw new Error('executable subcommands are not supported'); } };",
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22.19',
  legalComments: 'none',
  minify: true,
  plugins: [inlineTemplates, noCommanderChildProcess],
  logLevel: 'warning',
};
// Some dependencies call require(); give the ESM output one, made on first use: createRequire
// costs a few milliseconds of path work per chunk at every start, and most chunks never call it.
const requireShim =
  "import { createRequire as __rsCreateRequire } from 'node:module'; let __rsRequire; const require = (id) => (__rsRequire ??= __rsCreateRequire(import.meta.url))(id);";

// chunk names carry content hashes: clear out the chunks of earlier builds
rmSync('dist/split', { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/split',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: requireShim },
});

const chunks = {};
for (const name of readdirSync('dist/split', { recursive: true })) {
  if (name.endsWith('.js')) chunks[name.split('\\').join('/')] = readFileSync(`dist/split/${name}`, 'utf8');
}
// The chunks live at file URLs under a directory that does not exist (repro-sources.mjs.d/): the
// requireShim's createRequire(import.meta.url) and stack traces then work as in dist/split/. Their
// text rides in line comments after the loader ("//@name", then each line behind "//"), which V8
// skips faster than it reads string literals; the loader reads its own file once for them.
let carried = '';
for (const [name, text] of Object.entries(chunks)) {
  // esbuild writes ASCII: no CR, U+2028 or U+2029 could end a line comment early
  if (/[\r\u2028\u2029]/.test(text)) throw new Error(`${name}: a line terminator a line comment can't carry`);
  carried += `//@${name}\n${text.replace(/\n$/, '').split('\n').map((l) => `//${l}`).join('\n')}\n`;
}
const loader = `#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
const BASE = new URL('./repro-sources.mjs.d/', import.meta.url).href;
let chunks;
function chunk(name) {
  if (chunks === undefined) {
    chunks = new Map();
    const text = readFileSync(new URL(import.meta.url), 'latin1');
    for (const part of text.slice(text.indexOf('\\n//@') + 4).split('\\n//@')) {
      const nl = part.indexOf('\\n');
      chunks.set(part.slice(0, nl), part.slice(nl + 1).replace(/^\\/\\//gm, ''));
    }
  }
  return chunks.get(name);
}
registerHooks({
  resolve(specifier, context, next) {
    if (specifier.startsWith(BASE)) return { url: specifier, shortCircuit: true };
    if (context.parentURL?.startsWith(BASE) && specifier.startsWith('.')) return { url: new URL(specifier, context.parentURL).href, shortCircuit: true };
    return next(specifier, context);
  },
  load(url, context, next) {
    const source = url.startsWith(BASE) ? chunk(url.slice(BASE.length)) : undefined;
    return source === undefined ? next(url, context) : { format: 'module', source, shortCircuit: true };
  },
});
const { main, tuneProcess } = await import(BASE + 'main.js');
const argv = process.argv.slice(2);
await tuneProcess(argv);
process.exitCode = await main(argv);
${carried}`;
writeFileSync('dist/repro-sources.mjs', loader);
chmodSync('dist/repro-sources.mjs', 0o755);
