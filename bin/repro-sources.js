#!/usr/bin/env node
// No module.enableCompileCache(): it writes $TMPDIR/node-compile-cache, and inside a Dockerfile
// RUN step that file would land in the image. Node uses a cache when the user sets NODE_COMPILE_CACHE.
const { main, tuneProcess } = await import('../dist/split/main.js');
const argv = process.argv.slice(2);
await tuneProcess(argv);
process.exitCode = await main(argv);
