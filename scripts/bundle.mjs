// Builds dist/repro-sources.mjs: the whole CLI with every dependency inlined, for
// Dockerfiles that bind-mount one file into an image (no node_modules there).
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/bundle-entry.ts'],
  outfile: 'dist/repro-sources.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  legalComments: 'none',
  banner: {
    // Some dependencies call require(); give the ESM bundle one.
    js: "#!/usr/bin/env node\nimport { createRequire as __rsCreateRequire } from 'node:module'; const require = __rsCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
