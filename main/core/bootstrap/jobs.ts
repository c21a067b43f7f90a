// Bootstrap jobs in the store: each host's progress and its step history, written as the job runs,
// so any instance answers `getBootstrap` and a job outlives the instance that ran it. A job whose
// instance stopped mid-way is ended by the instance that notices (its own restart, or the leader's
// housekeeping for an instance that died): its unfinished hosts fail with the step they were in.
import type { Logger } from '../log.js';
import type { BootstrapHostsTable, Db } from '../store/schema.js';
import type { BootstrapJob, HostProgress, StepName } from './bootstrap-service.js';

/** Jobs are kept this long (a rerun of a host makes a new job). */
const RETENTION_MS = 30 * 86_400_000;
const MESSAGE_CHARS = 4_000;

const clip = (text: string | null) => (text === null ? null : text.slice(0, MESSAGE_CHARS));

function hostColumns(progress: HostProgress): Omit<BootstrapHostsTable, 'job_id' | 'idx' | 'host'> {
  return {
    node_id: progress.nodeId,
    status: progress.status,
    step: progress.step,
    message: clip(progress.message),
    output: clip(progress.output),
    facts: progress.facts,
    host_key_fingerprint: progress.hostKey?.fingerprint ?? null,
    host_key_verdict: progress.hostKey?.verdict ?? null,
  };
}

export class BootstrapJobs {
  /** Writes in order, off the job's path: a slow database never stalls an install. */
  private lane: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly instanceId: string,
    private readonly log: Logger,
  ) {}

  async create(job: BootstrapJob): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('bootstrap_jobs')
        .where('created_at', '<', Date.now() - RETENTION_MS)
        .execute();
      await trx
        .insertInto('bootstrap_jobs')
        .values({
          id: job.id,
          kind: job.kind,
          instance_id: this.instanceId,
          created_at: job.createdAt,
          finished_at: null,
        })
        .execute();
      // In slices: a job may name up to 1,000 hosts.
      for (let i = 0; i < job.hosts.length; i += 200) {
        await trx
          .insertInto('bootstrap_hosts')
          .values(
            job.hosts
              .slice(i, i + 200)
              .map((p, k) => ({ job_id: job.id, idx: i + k, host: p.host, ...hostColumns(p) })),
          )
          .execute();
      }
    });
  }

  /** The host's state now, and its newest step when one just ended. */
  recordHost(job: BootstrapJob, idx: number, progress: HostProgress, endedStep = false): void {
    const columns = hostColumns(progress);
    const step = endedStep ? progress.steps.at(-1) : undefined;
    const seq = progress.steps.length;
    this.write(async () => {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('bootstrap_hosts')
          .set(columns)
          .where('job_id', '=', job.id)
          .where('idx', '=', idx)
          .execute();
        if (step) {
          await trx
            .insertInto('bootstrap_steps')
            .values({ job_id: job.id, host_idx: idx, seq, ...step, message: clip(step.message) })
            .execute();
        }
      });
    });
  }

  recordFinished(jobId: string, finishedAt: number): void {
    this.write(async () => {
      await this.db.updateTable('bootstrap_jobs').set({ finished_at: finishedAt }).where('id', '=', jobId).execute();
    });
  }

  /** Waits for the writes queued so far (tests, and a graceful stop). */
  flushed(): Promise<void> {
    return this.lane;
  }

  async get(id: string): Promise<BootstrapJob | null> {
    const job = await this.db.selectFrom('bootstrap_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!job) return null;
    const hosts = await this.db
      .selectFrom('bootstrap_hosts')
      .selectAll()
      .where('job_id', '=', id)
      .orderBy('idx')
      .execute();
    const steps = await this.db
      .selectFrom('bootstrap_steps')
      .selectAll()
      .where('job_id', '=', id)
      .orderBy('host_idx')
      .orderBy('seq')
      .execute();
    return {
      id: job.id,
      kind: job.kind,
      createdAt: Number(job.created_at),
      finishedAt: job.finished_at === null ? null : Number(job.finished_at),
      hosts: hosts.map((h) => ({
        host: h.host,
        nodeId: h.node_id,
        status: h.status,
        step: h.step as StepName | null,
        message: h.message,
        output: h.output,
        facts: h.facts,
        hostKey:
          h.host_key_fingerprint && h.host_key_verdict
            ? { fingerprint: h.host_key_fingerprint, verdict: h.host_key_verdict }
            : null,
        steps: steps
          .filter((s) => s.host_idx === h.idx)
          .map((s) => ({ step: s.step as StepName, status: s.status, at: Number(s.at), message: s.message })),
      })),
    };
  }

  /**
   * Ends the unfinished jobs of these instances (stopped or dead): every host still pending or
   * running fails, with the step it was in recorded as failed. Returns how many jobs ended.
   */
  async interrupt(instanceIds: string[]): Promise<number> {
    if (instanceIds.length === 0) return 0;
    const jobs = await this.db
      .selectFrom('bootstrap_jobs')
      .select('id')
      .where('finished_at', 'is', null)
      .where('instance_id', 'in', instanceIds)
      .execute();
    const now = Date.now();
    for (const { id } of jobs) {
      await this.db.transaction().execute(async (trx) => {
        const open = await trx
          .selectFrom('bootstrap_hosts')
          .select(['idx', 'step', 'status'])
          .where('job_id', '=', id)
          .where('status', 'in', ['pending', 'running'])
          .execute();
        for (const host of open) {
          const message =
            host.status === 'pending'
              ? 'Not started: the master instance running this job stopped. Run it again.'
              : `Interrupted during the ${host.step ?? 'first'} step: the master instance running this job stopped. Run it again (a rerun converges on the same node).`;
          await trx
            .updateTable('bootstrap_hosts')
            .set({ status: 'failed', message })
            .where('job_id', '=', id)
            .where('idx', '=', host.idx)
            .execute();
          if (host.status === 'running' && host.step) {
            const last = await trx
              .selectFrom('bootstrap_steps')
              .select((eb) => eb.fn.max('seq').as('seq'))
              .where('job_id', '=', id)
              .where('host_idx', '=', host.idx)
              .executeTakeFirst();
            await trx
              .insertInto('bootstrap_steps')
              .values({
                job_id: id,
                host_idx: host.idx,
                seq: Number(last?.seq ?? 0) + 1,
                step: host.step,
                status: 'failed',
                at: now,
                message,
              })
              .execute();
          }
        }
        await trx.updateTable('bootstrap_jobs').set({ finished_at: now }).where('id', '=', id).execute();
      });
    }
    if (jobs.length > 0)
      this.log.warn({ jobs: jobs.map((j) => j.id), instanceIds }, 'ended bootstrap jobs of stopped instances');
    return jobs.length;
  }

  private write(work: () => Promise<void>): void {
    this.lane = this.lane.then(work).catch((err) => this.log.error({ err }, 'could not record bootstrap progress'));
  }
}
