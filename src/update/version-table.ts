/**
 * Package versions of whole indexes keyed by their bytes: name and architecture -> version,
 * in flat arrays over one arena. A Map of strings made the 63,000 names of Debian main cost
 * two strings, a Map entry and GC work each, read twice (once per snapshot) and compared
 * entry by entry; here a name is bytes copied once, and strings are made only for what
 * differs between two snapshots. Pure: no I/O.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const NL = 10;

/** Byte strings in insertion order, each found again by its bytes (open addressing, FNV-1a). */
export class ByteKeys {
  /** The keys' bytes (and whatever a subclass stores after them), entry after entry. */
  protected arena = Buffer.allocUnsafe(1 << 16);
  protected used = 0;
  protected keyStart = new Int32Array(1024);
  protected keyLen = new Int32Array(1024);
  protected hashes = new Int32Array(1024);
  /** entry + 1, 0 where free; a power of two, at most half full */
  private slots = new Int32Array(2048);
  size = 0;

  /** The entry whose key is b[s, e), or -1. */
  find(b: Uint8Array, s: number, e: number): number {
    return this.lookup(b, s, e, hashOf(b, s, e));
  }

  /** The entry of key b[s, e), added when new (the bytes are copied). */
  add(b: Uint8Array, s: number, e: number): number {
    const h = hashOf(b, s, e);
    const found = this.lookup(b, s, e, h);
    return found >= 0 ? found : this.insert(b, s, e, h);
  }

  /** The key of entry i as text. */
  keyText(i: number): string {
    const s = this.keyStart[i]!;
    return this.arena.toString('utf8', s, s + this.keyLen[i]!);
  }

  /** Whether a[as, as + len) and b[bs, bs + len) hold the same bytes. */
  protected static sameBytes(a: Buffer, as: number, b: Buffer, bs: number, len: number): boolean {
    for (let k = 0; k < len; k++) if (a[as + k] !== b[bs + k]) return false;
    return true;
  }

  protected reserve(bytes: number): void {
    if (this.used + bytes <= this.arena.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.used + bytes));
    this.arena.copy(grown, 0, 0, this.used);
    this.arena = grown;
  }

  /** The entry whose key is b[s, e) with hash h, or -1. */
  protected lookup(b: Uint8Array, s: number, e: number, h: number): number {
    const mask = this.slots.length - 1;
    const len = e - s;
    for (let at = h & mask; ; at = (at + 1) & mask) {
      const i = this.slots[at]! - 1;
      if (i < 0) return -1;
      if (this.hashes[i] !== h || this.keyLen[i] !== len) continue;
      const ks = this.keyStart[i]!;
      let k = 0;
      while (k < len && this.arena[ks + k] === b[s + k]) k++;
      if (k === len) return i;
    }
  }

  private insert(b: Uint8Array, s: number, e: number, h: number): number {
    const i = this.size++;
    if (i === this.keyStart.length) this.grow(i * 2);
    this.reserve(e - s);
    this.arena.set(b.subarray(s, e), this.used);
    this.keyStart[i] = this.used;
    this.keyLen[i] = e - s;
    this.hashes[i] = h;
    this.used += e - s;
    if (this.size * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(i, h);
    return i;
  }

  /** Makes room for `n` entries in every per-entry array (a subclass grows its own too). */
  protected grow(n: number): void {
    this.keyStart = resized(this.keyStart, n);
    this.keyLen = resized(this.keyLen, n);
    this.hashes = resized(this.hashes, n);
  }

  private place(i: number, h: number): void {
    const mask = this.slots.length - 1;
    let at = h & mask;
    while (this.slots[at] !== 0) at = (at + 1) & mask;
    this.slots[at] = i + 1;
  }

  private rehash(n: number): void {
    this.slots = new Int32Array(n);
    for (let i = 0; i < this.size; i++) this.place(i, this.hashes[i]!);
  }
}

/** name/architecture -> the newest version seen, as apt would pick among suites of one archive. */
export class VersionTable extends ByteKeys {
  private verStart = new Int32Array(1024);
  private verLen = new Int32Array(1024);
  /** The key being built: name, a newline, architecture. */
  private scratch = Buffer.allocUnsafe(256);

  /**
   * Adds name/arch = version (each a span of bytes); where the key is there already the newer
   * version stays. `newer(a, b)` orders two versions (dpkg's rules), asked only when they differ.
   */
  set(name: Buffer, ns: number, ne: number, arch: Buffer, as: number, ae: number, ver: Buffer, vs: number, ve: number, newer: (a: string, b: string) => number): void {
    const klen = ne - ns + 1 + (ae - as);
    if (klen > this.scratch.length) this.scratch = Buffer.allocUnsafe(klen * 2);
    const k = this.scratch;
    let o = 0;
    for (let j = ns; j < ne; j++) k[o++] = name[j]!;
    k[o++] = NL;
    for (let j = as; j < ae; j++) k[o++] = arch[j]!;
    const before = this.size;
    const i = this.add(k, 0, klen);
    if (i < before) {
      const vlen = ve - vs;
      const old = this.verStart[i]!;
      if (this.verLen[i] === vlen && ByteKeys.sameBytes(this.arena, old, ver, vs, vlen)) return;
      const text = ver.toString('utf8', vs, ve);
      if (newer(text, this.version(i)) <= 0) return;
    }
    this.reserve(ve - vs);
    this.arena.set(ver.subarray(vs, ve), this.used);
    this.verStart[i] = this.used;
    this.verLen[i] = ve - vs;
    this.used += ve - vs;
  }

  /** Every entry of `from` into this one, the newer version winning. */
  merge(from: VersionTable, newer: (a: string, b: string) => number): void {
    for (let j = 0; j < from.size; j++) {
      const ks = from.keyStart[j]!;
      const kl = from.keyLen[j]!;
      const nl = from.arena.indexOf(NL, ks);
      const vs = from.verStart[j]!;
      this.set(from.arena, ks, nl, from.arena, nl + 1, ks + kl, from.arena, vs, vs + from.verLen[j]!, newer);
    }
  }

  version(i: number): string {
    const s = this.verStart[i]!;
    return this.arena.toString('utf8', s, s + this.verLen[i]!);
  }

  /** Entry i as name, architecture and version. */
  entry(i: number): { package: string; architecture: string; version: string } {
    const key = this.keyText(i);
    const nl = key.indexOf('\n');
    return { package: key.slice(0, nl), architecture: key.slice(nl + 1), version: this.version(i) };
  }

  /** Every entry, in the order first added. */
  list(): { package: string; architecture: string; version: string }[] {
    return Array.from({ length: this.size }, (_, i) => this.entry(i));
  }

  /** For each entry of `after`: its entry here (or -1), and whether the versions' bytes match. */
  compare(after: VersionTable, onEntry: (j: number, here: number, sameVersion: boolean) => void): void {
    for (let j = 0; j < after.size; j++) {
      const ks = after.keyStart[j]!;
      // both tables hash keys alike: the hash `after` stored is this key's here too
      const i = this.lookup(after.arena, ks, ks + after.keyLen[j]!, after.hashes[j]!);
      const same = i >= 0 && this.verLen[i] === after.verLen[j] && ByteKeys.sameBytes(this.arena, this.verStart[i]!, after.arena, after.verStart[j]!, after.verLen[j]!);
      onEntry(j, i, same);
    }
  }

  protected override grow(n: number): void {
    super.grow(n);
    this.verStart = resized(this.verStart, n);
    this.verLen = resized(this.verLen, n);
  }
}

function hashOf(b: Uint8Array, s: number, e: number): number {
  let h = FNV_OFFSET;
  for (let j = s; j < e; j++) h = Math.imul(h ^ b[j]!, FNV_PRIME);
  return h | 0;
}

function resized(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const out = new Int32Array(n);
  out.set(a.subarray(0, Math.min(a.length, n)));
  return out;
}
