// The health check's look at the database: it answers within its deadline even when the database
// does not (a stopped server leaves a ping waiting for seconds), and never piles pings up — while
// one is in flight, every check waits on that one.

export type ProbeResult = { ok: true } | { ok: false; error: string };

export class DatabaseProbe {
  private inFlight: { promise: Promise<ProbeResult>; since: number } | null = null;

  constructor(
    private readonly ping: () => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  async check(deadlineMs: number): Promise<ProbeResult> {
    const current = this.inFlight ?? this.start();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<ProbeResult>((resolve) => {
      timer = setTimeout(() => {
        const waited = Math.round((this.now() - current.since) / 100) / 10;
        resolve({ ok: false, error: `The database has not answered a ping for ${waited} s.` });
      }, deadlineMs);
    });
    try {
      return await Promise.race([current.promise, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private start(): { promise: Promise<ProbeResult>; since: number } {
    const promise = this.ping().then(
      (): ProbeResult => ({ ok: true }),
      (error: unknown): ProbeResult => ({ ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
    const current = { promise, since: this.now() };
    this.inFlight = current;
    void promise.finally(() => {
      if (this.inFlight === current) this.inFlight = null;
    });
    return current;
  }
}
