/** Many callers asking for one key at once share one run of the work. */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** Runs fn for key unless a run is already going, in which case its result is shared. `leader` says which. */
  do(key: string, fn: () => Promise<T>): { promise: Promise<T>; leader: boolean } {
    const running = this.inFlight.get(key);
    if (running) return { promise: running, leader: false };
    const promise = fn().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return { promise, leader: true };
  }

  get size(): number {
    return this.inFlight.size;
  }
}
