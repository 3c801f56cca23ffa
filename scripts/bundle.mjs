// Two packagings of one esbuild build of the CLI, every dependency inlined, split at the lazy
// command imports so that a command loads only its own code (startup is most of what `snapshot`
// and `rewrite` cost):
// - dist/split/: one file per chunk (the library tests import its main.js).
// - dist/repro-sources.mjs: the same chunks in one file, which the bin imports and Dockerfiles
//   bind-mount into an image with no node_modules (templates/). The chunks ride in a comment,
//   which V8 only scans, and a synchronous module hook (module.registerHooks, Node 22.15+) serves
//   them as modules when first imported: a start compiles the chunks its command needs, not all
//   600 KB, and resolves them without a file-system lookup.
import { build } from 'esbuild';
import { readdir, readFile } from 'node:fs/promises';
import { readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { constants as http2Constants } from 'node:http2';

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

// Node builtins as CommonJS modules that call process.getBuiltinModule: an ESM import of a
// builtin builds its namespace from every export, which runs the lazy getters (node:fs's
// ReadStream and promises load twenty stream modules, 2-3 ms of every start). esbuild reads an
// imported name off the CommonJS object where it is used, so nothing is touched before it is needed.
const builtinsOnDemand = {
  name: 'builtins-on-demand',
  setup(b) {
    const names = new Set(builtinModules.flatMap((m) => (m.startsWith('node:') ? [m] : [m, `node:${m}`])));
    // a dynamic import() stays Node's own: it is lazy already, and its namespace has the named exports
    b.onResolve({ filter: /^[a-z_:\/0-9]+$/ }, (args) =>
      names.has(args.path) && args.kind !== 'dynamic-import' ? { path: args.path.replace(/^(node:)?/, 'node:'), namespace: 'builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ loader: 'js', contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});` }));
  },
};

// undici's HTTP/2 client reads eleven constants of node:http2 when it loads and calls connect()
// only when a server agrees to HTTP/2: loading node:http2 itself was 16 ms of every network
// command's start. The constants are HTTP/2's and nghttp2's own (header names, error codes):
// taken from the building Node, with connect() loading the real module on first use.
const undiciHttp2OnDemand = {
  name: 'undici-http2-on-demand',
  setup(b) {
    b.onResolve({ filter: /^(node:)?http2$/ }, (args) => (/[\\/]undici[\\/]/.test(args.importer) ? { path: 'http2', namespace: 'undici-http2' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'undici-http2' }, () => ({
      loader: 'js',
      contents: `module.exports = { constants: ${JSON.stringify(http2Constants)}, connect: (...args) => process.getBuiltinModule('node:http2').connect(...args) };`,
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22.19',
  legalComments: 'none',
  minify: !process.env.NO_MINIFY,
  plugins: [inlineTemplates, undiciHttp2OnDemand, builtinsOnDemand],
  // undici's switch for builds that carry llhttp only (Node's own copy sets it too): its
  // experimental Milo parser, off unless asked for, is two WebAssembly blobs in base64, 150 KB
  // that every start of the single-file bundle would read past.
  define: { esbuildDetection: 'true' },
  logLevel: 'warning',
};
// Some dependencies call require(), nearly always for a Node builtin: process.getBuiltinModule
// answers those without the path work of createRequire, which is made only for the rest.
const requireShim =
  "const require = (id) => process.getBuiltinModule(id) ?? process.getBuiltinModule('node:module').createRequire(import.meta.url)(id);";

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
// text rides in one block comment after the loader, which V8 skips at memchr speed, and the loader
// reads a chunk's bytes from its own file the first time it is imported: a start reads and decodes
// the 60-100 KB its command needs, not the whole file. A "*/" in a chunk (a regular expression's
// `a*/`) is carried as "*\x01/", which esbuild's ASCII output never holds.
const ESCAPE = '*\x01/';
let payload = '';
const index = {};
for (const [name, text] of Object.entries(chunks)) {
  if (text.includes('\x01') || /[^\x00-\x7f]/.test(text)) throw new Error(`${name}: not the ASCII that esbuild writes`);
  const carried = text.replaceAll('*/', ESCAPE);
  index[name] = [payload.length, carried.length];
  payload += carried;
}
payload = `/*\n${payload}\n*/\n`;
// offsets from the end of the file, which the loader finds with fstat: the loader need not know its own length
const TAIL = payload.length - 3;
for (const v of Object.values(index)) v[0] = TAIL - v[0];
const loader = `#!/usr/bin/env node
// An older Node gets one line, not a stack trace from the module hook below (registerHooks came in 22.15)
{
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 19)) {
    process.stderr.write('repro-sources: Node.js ' + process.versions.node + ': needs Node.js 22.19 or newer\\n');
    process.exit(1);
  }
}
// builtins without ESM imports, whose namespaces would load node:stream, fs/promises and more
const { openSync, readSync, fstatSync } = process.getBuiltinModule('node:fs');
const { registerHooks } = process.getBuiltinModule('node:module');
const BASE = new URL('./repro-sources.mjs.d/', import.meta.url).href;
const INDEX = ${JSON.stringify(index)};
let fd, size;
function chunk(name) {
  const at = INDEX[name];
  if (at === undefined) return undefined;
  if (fd === undefined) {
    fd = openSync(new URL(import.meta.url), 'r');
    size = fstatSync(fd).size;
  }
  const bytes = Buffer.allocUnsafe(at[1]);
  for (let got = 0; got < at[1]; ) {
    const n = readSync(fd, bytes, got, at[1] - got, size - at[0] + got);
    if (n === 0) throw new Error(import.meta.url + ': cut short');
    got += n;
  }
  const text = bytes.latin1Slice(0, at[1]);
  return text.includes(${JSON.stringify(ESCAPE)}) ? text.replaceAll(${JSON.stringify(ESCAPE)}, '*/') : text;
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
${payload}`;
// read every chunk back as the loader will, from the end of the file
for (const [name, [fromEnd, length]] of Object.entries(index)) {
  const at = loader.length - fromEnd;
  if (loader.slice(at, at + length).replaceAll(ESCAPE, '*/') !== chunks[name]) throw new Error(`${name}: does not read back from the bundle`);
}
writeFileSync('dist/repro-sources.mjs', loader);
chmodSync('dist/repro-sources.mjs', 0o755);
