/** serve's counters, as JSON or Prometheus text. */

export class Metrics {
  requests = 0;
  hits = 0;
  misses = 0;
  upstreamFetches = 0;
  upstreamErrors = 0;
  bytesServed = 0;
  bytesFromUpstream = 0;
  storeErrors = 0;
  unverified = 0;
  integrityFailures = 0;
  redirects = 0;
  storeAvailable = true;
  private readonly hitLatencies: number[] = [];

  recordHit(ms: number): void {
    this.hits++;
    // a bounded sample: the last 10,000 hits
    if (this.hitLatencies.length >= 10_000) this.hitLatencies.shift();
    this.hitLatencies.push(ms);
  }

  percentile(p: number): number {
    if (this.hitLatencies.length === 0) return 0;
    const sorted = [...this.hitLatencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  }

  toJSON(): Record<string, number | boolean> {
    return {
      requests: this.requests,
      hits: this.hits,
      misses: this.misses,
      upstreamFetches: this.upstreamFetches,
      upstreamErrors: this.upstreamErrors,
      bytesServed: this.bytesServed,
      bytesFromUpstream: this.bytesFromUpstream,
      storeErrors: this.storeErrors,
      storeAvailable: this.storeAvailable,
      unverified: this.unverified,
      integrityFailures: this.integrityFailures,
      redirects: this.redirects,
      hitLatencyP50Ms: this.percentile(50),
      hitLatencyP99Ms: this.percentile(99),
    };
  }

  toPrometheus(): string {
    const lines: string[] = [];
    for (const [k, v] of Object.entries(this.toJSON())) {
      const name = `repro_sources_serve_${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
      lines.push(`# TYPE ${name} ${k.startsWith('hitLatency') || k === 'storeAvailable' ? 'gauge' : 'counter'}`, `${name} ${typeof v === 'boolean' ? (v ? 1 : 0) : v}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
