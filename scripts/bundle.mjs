// Builds dist/repro-sources.mjs: the whole CLI with every dependency inlined, for
// Dockerfiles that bind-mount one file into an image (no node_modules there).
import { build } from 'esbuild';
import { readdir, readFile } from 'node:fs/promises';

// The bundle travels alone: src/generate/templates.ts reads templates/ from disk, so here it
// is swapped for a module that holds every template's text.
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

await build({
  entryPoints: ['src/cli/bundle-entry.ts'],
  outfile: 'dist/repro-sources.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  legalComments: 'none',
  minify: true,
  banner: {
    // Some dependencies call require(); give the ESM bundle one.
    js: "#!/usr/bin/env node\nimport { createRequire as __rsCreateRequire } from 'node:module'; const require = __rsCreateRequire(import.meta.url);",
  },
  plugins: [inlineTemplates],
  logLevel: 'warning',
});
