// npm run bench [-- NAME ...]: the benchmarks of docs/BENCHMARKS.md one after another (all of
// them without names, which takes several minutes), each printing its own table. Build first.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ALL = ['startup', 'deb822', 'probe', 'diff-http', 'pull-paired', 'cache', 'serve', 'lock', 'fetch-lock', 'e2e'];
const names = process.argv.slice(2);
for (const name of names.length > 0 ? names : ALL) {
  const script = join(import.meta.dirname, `${name}.mjs`);
  if (!existsSync(script)) {
    console.error(`repro-sources bench: ${name}: no such benchmark (${ALL.join(', ')})`);
    process.exit(2);
  }
  console.log(`\n## ${name}`);
  // startup is measured without a compile cache; no other benchmark writes one either
  const r = spawnSync(process.execPath, [script], { stdio: 'inherit', env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' } });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
