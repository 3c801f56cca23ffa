import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/cli.js';

describe('the library through package.json "exports"', () => {
  it("is importable as 'repro-sources' from the build, without the CLI", () => {
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "import { toSnapshotId, parseEpochString } from 'repro-sources'; console.log(toSnapshotId(parseEpochString('1700000000')))"],
      { cwd: PROJECT_ROOT },
    ).toString();
    expect(out).toBe('20231114T221320Z\n');
  });

  it('ships type declarations for the exports', () => {
    const out = execFileSync(process.execPath, ['-p', "require('fs').readFileSync('dist/index.d.ts','utf8').includes('toSnapshotId')"], { cwd: PROJECT_ROOT }).toString();
    expect(out.trim()).toBe('true');
  });
});
