// Runs async jobs one at a time, in order. Rollup flushes and rollup reads share one so a read
// never sees a batch both in the database and in memory.
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job, job);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
