#!/usr/bin/env node
// The CLI is the single-file build (dist/repro-sources.mjs, which the Dockerfile recipes
// bind-mount): its module hook serves the command's chunks without the file-system lookups that
// resolving each chunk file costs, so this starts as fast as it.
// No module.enableCompileCache(): it writes $TMPDIR/node-compile-cache, and inside a Dockerfile
// RUN step that file would land in the image. Node uses a cache when the user sets NODE_COMPILE_CACHE.
import '../dist/repro-sources.mjs';
