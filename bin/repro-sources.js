#!/usr/bin/env node
import module from 'node:module';

// Node 22.1+ keeps compiled code between runs; startup matters in Dockerfile RUN steps.
module.enableCompileCache?.();
const { main, tuneProcess } = await import('../dist/split/main.js');
const argv = process.argv.slice(2);
await tuneProcess(argv);
process.exitCode = await main(argv);
