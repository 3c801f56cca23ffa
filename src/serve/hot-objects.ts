/**
 * The most recently served small objects, in memory: a hit on one costs no round trip to the
 * store. Bounded by total bytes, least recently used out first. Bytes enter only after their
 * digest was checked, and are checked again as they stream out like any other hit.
 */
export class HotObjects {
  private readonly maxBytes: number;
  readonly maxObject: number;
  private readonly objects = new Map<string, Buffer>();
  private bytes = 0;

  constructor(maxBytes: number, maxObject: number) {
    this.maxBytes = maxBytes;
    this.maxObject = Math.min(maxObject, maxBytes);
  }

  get(digest: string): Buffer | undefined {
    const b = this.objects.get(digest);
    if (b) {
      this.objects.delete(digest);
      this.objects.set(digest, b);
    }
    return b;
  }

  set(digest: string, bytes: Buffer): void {
    if (bytes.length > this.maxObject || this.objects.has(digest)) return;
    this.objects.set(digest, bytes);
    this.bytes += bytes.length;
    for (const [d, b] of this.objects) {
      if (this.bytes <= this.maxBytes) break;
      this.objects.delete(d);
      this.bytes -= b.length;
    }
  }

  delete(digest: string): void {
    const b = this.objects.get(digest);
    if (!b) return;
    this.objects.delete(digest);
    this.bytes -= b.length;
  }
}
