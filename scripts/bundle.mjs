// Two esbuild outputs of the CLI, both with every dependency inlined:
// - dist/repro-sources.mjs: one file, for Dockerfiles that bind-mount it into an image with no
//   node_modules (templates/).
// - dist/split/: the bin's build, split at the lazy command imports so a command loads only its
//   own code: startup is most of what `snapshot` and `rewrite` cost.
import { build } from 'esbuild';
import { readdir, readFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';

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
// Some dependencies call require(); give the ESM output one.
const requireShim = "import { createRequire as __rsCreateRequire } from 'node:module'; const require = __rsCreateRequire(import.meta.url);";

await build({
  ...common,
  entryPoints: ['src/cli/bundle-entry.ts'],
  outfile: 'dist/repro-sources.mjs',
  banner: { js: `#!/usr/bin/env node\n${requireShim}` },
});
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
