import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/rewrite/unified-diff.js';

describe('unifiedDiff: patches that patch -p1 and git apply take', () => {
  it.each([
    ['a line added after a last line without a newline', 'a\nb', 'a\nb\nc\n'],
    ['the final newline dropped', 'a\nb\n', 'a\nb'],
    ['a last line without a newline changed', 'x\ny', 'x\nz'],
    ['a change among context, CRLF kept', 'l1\r\nl2\r\nl3\r\nl4\r\nl5\r\n', 'l1\r\nl2\r\nL3\r\nl4\r\nl5\r\n'],
    ['from empty', '', 'a\n'],
    ['to empty', 'a\n', ''],
  ])('%s', (_what, before, after) => {
    const patch = unifiedDiff(before, after, 'a/f', 'b/f');
    for (const apply of [['patch', '-p1', '-s', '-i', 'p'], ['git', 'apply', 'p']]) {
      const dir = mkdtempSync(join(tmpdir(), 'rs-diff-'));
      writeFileSync(join(dir, 'f'), before);
      writeFileSync(join(dir, 'p'), patch);
      execFileSync(apply[0]!, apply.slice(1), { cwd: dir, stdio: 'pipe' });
      expect({ tool: apply[0], text: readFileSync(join(dir, 'f'), 'utf8') }).toEqual({ tool: apply[0], text: after });
    }
  });

  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\n', 'a\n', 'a/f', 'b/f')).toBe('');
  });
});
