/**
 * A unified diff of two small texts (sources files), for `rewrite --dry-run`, in the form
 * `git apply` and `patch -p1` take: names as given (a/PATH, b/PATH), and "\\ No newline at end
 * of file" after a last line without one. Pure.
 */

const NO_NEWLINE = '\\ No newline at end of file';
/** Marks, for comparing only, a last line that has no newline when the other text's has one. */
const OPEN = '\u0000';

/** Lines without their "\n"; a text that ends without one has its last line marked. */
function linesOf(text: string): { lines: string[]; lastOpen: boolean } {
  if (text === '') return { lines: [], lastOpen: false };
  const lines = text.split('\n');
  if (lines.at(-1) === '') {
    lines.pop();
    return { lines, lastOpen: false };
  }
  return { lines, lastOpen: true };
}

export function unifiedDiff(oldText: string, newText: string, oldName: string, newName: string, context = 3): string {
  if (oldText === newText) return '';
  const { lines: a, lastOpen: aOpen } = linesOf(oldText);
  const { lines: b, lastOpen: bOpen } = linesOf(newText);
  // a last line without "\n" equals only another such line: otherwise it is changed, not context
  if (aOpen !== bOpen) {
    if (aOpen) a[a.length - 1] += OPEN;
    else b[b.length - 1] += OPEN;
  }
  const ops = lineOps(a, b);
  const out: string[] = [`--- ${oldName}`, `+++ ${newName}`];
  // group changes into hunks with `context` lines around them
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && ops[i]!.op === ' ') i++;
    if (i >= ops.length) break;
    const start = Math.max(0, i - context);
    let end = i;
    let lastChange = i;
    while (end < ops.length && (ops[end]!.op !== ' ' || end - lastChange <= 2 * context)) {
      if (ops[end]!.op !== ' ') lastChange = end;
      end++;
    }
    end = Math.min(ops.length, lastChange + context + 1);
    const hunk = ops.slice(start, end);
    const aStart = ops[start]!.a;
    const bStart = ops[start]!.b;
    const aLen = hunk.filter((o) => o.op !== '+').length;
    const bLen = hunk.filter((o) => o.op !== '-').length;
    out.push(`@@ -${aLen === 0 ? aStart : aStart + 1},${aLen} +${bLen === 0 ? bStart : bStart + 1},${bLen} @@`);
    for (const o of hunk) {
      out.push(`${o.op}${o.text.endsWith(OPEN) ? o.text.slice(0, -1) : o.text}`);
      // the marker follows the last line of a file that has no final newline
      const lastOfA = o.op !== '+' && o.a === a.length - 1 && aOpen;
      const lastOfB = o.op !== '-' && o.b === b.length - 1 && bOpen;
      if (lastOfA || lastOfB) out.push(NO_NEWLINE);
    }
    i = end;
  }
  return `${out.join('\n')}\n`;
}

interface Op {
  op: ' ' | '-' | '+';
  text: string;
  /** Index in a / b where this op sits. */
  a: number;
  b: number;
}

function lineOps(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  if (n * m > 4_000_000) {
    // too big to align line by line in bounded memory: one hunk, all out, all in
    return [...a.map((text, i): Op => ({ op: '-', text, a: i, b: 0 })), ...b.map((text, j): Op => ({ op: '+', text, a: n, b: j }))];
  }
  // LCS table: real sources files have tens of lines
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ op: ' ', text: a[i]!, a: i++, b: j++ });
    else if (i < n && (j >= m || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) ops.push({ op: '-', text: a[i]!, a: i++, b: j });
    else ops.push({ op: '+', text: b[j]!, a: i, b: j++ });
  }
  return ops;
}
