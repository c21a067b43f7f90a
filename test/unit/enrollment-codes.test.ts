// Enrollment codes on both databases: single use under a race, batches up to their size, refusals
// that say why, and no code text at rest. Also: the rendered install script passes shellcheck.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnrollmentCodeText } from '../../main/contract/enroll-schemas.js';
import { FleetError } from '../../main/contract/errors.js';
import { EnrollmentCodes } from '../../main/core/enroll/codes.js';
import { installCommands, renderInstallScript } from '../../main/core/enroll/install-script.js';
import { EventBus } from '../../main/core/events.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';
import { tempDir } from '../helpers/processes.js';
import { serviceAvailable } from '../helpers/services.js';

const host = (n: number) => ({ hostname: `host-${n}`, remoteAddress: '192.0.2.1' });
const normalized = (code: string) => EnrollmentCodeText.parse(code);

async function refusal(promise: Promise<unknown>): Promise<FleetError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FleetError);
  return error as FleetError;
}

describe.each(storeTargets())('enrollment codes on $name', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let codes: EnrollmentCodes;
  let registry: NodeRegistry;
  let now = Date.now();

  beforeEach(async () => {
    ({ store, cleanup } = await target.open());
    registry = new NodeRegistry(store.db, new EventBus());
    now = Date.now();
    codes = new EnrollmentCodes(store.db, registry, () => now);
  });
  afterEach(() => cleanup());

  it('enrolls exactly one node from a single-use code, however many hosts race for it', async () => {
    const { code, enrollment } = await codes.create({ name: 'web-1', labels: { env: 'prod' } });
    const tries = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => codes.redeem(normalized(code), host(i))),
    );
    const won = tries.filter((t) => t.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const nodes = await registry.list();
    expect(nodes.map((n) => [n.name, n.labels])).toEqual([['web-1', { env: 'prod' }]]);
    const [view] = await codes.list();
    expect(view).toMatchObject({ id: enrollment.id, uses: 1, state: 'used', nodeIds: [nodes[0]?.id] });
    const again = await refusal(codes.redeem(normalized(code), host(9)));
    expect(again.code).toBe('conflict');
    expect(again.message).toContain('already used');
  });

  it('enrolls a batch up to its size, each node named by its host, then refuses', async () => {
    const { code } = await codes.create({ labels: { env: 'edge' }, maxUses: 3 });
    for (const n of [1, 2, 3]) await codes.redeem(normalized(code), host(n));
    const fourth = await refusal(codes.redeem(normalized(code), host(4)));
    expect(fourth.message).toContain('already enrolled its 3 hosts');
    expect((await registry.list()).map((n) => n.name).sort()).toEqual(['host-1', 'host-2', 'host-3']);
  });

  it('refuses expired, revoked and unknown codes, saying which', async () => {
    const expiring = await codes.create({ name: 'a', ttlSec: 60 });
    now += 61_000;
    expect((await refusal(codes.redeem(normalized(expiring.code), host(1)))).message).toContain('expired');
    const revoked = await codes.create({ name: 'b' });
    await codes.revoke(revoked.enrollment.id);
    expect((await refusal(codes.redeem(normalized(revoked.code), host(1)))).message).toContain('revoked');
    const unknown = await refusal(codes.redeem('ABCDEFGH', host(1)));
    expect(unknown.code).toBe('unauthorized');
    expect(await registry.list()).toEqual([]);
  });

  it('keeps only a hash of the code', async () => {
    const { code } = await codes.create({ name: 'c' });
    const rows = await store.db.selectFrom('enrollment_codes').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(normalized(code));
    expect(JSON.stringify(rows)).not.toContain(code);
  });
});

describe('enrollment code text', () => {
  it('forgives case, spaces and dashes, and refuses anything else', () => {
    expect(EnrollmentCodeText.parse(' abcd-efgh ')).toBe('ABCDEFGH');
    expect(EnrollmentCodeText.safeParse('ABCD-EFG').success).toBe(false);
    expect(EnrollmentCodeText.safeParse("ABCD-EFG'").success).toBe(false);
    // Crockford base32 has no I, L, O or U: a code never contains them.
    expect(EnrollmentCodeText.safeParse('ABCD-EFGI').success).toBe(false);
  });
});

const hasShellcheck = () => {
  let found = true;
  try {
    execFileSync('shellcheck', ['--version'], { stdio: 'pipe' });
  } catch {
    found = false;
  }
  return serviceAvailable('shellcheck', found, 'apt-get install shellcheck');
};

const VALUES = {
  base: 'https://master.example:7443',
  master: 'wss://master.example:7443',
  fingerprint: `sha256:${'ab'.repeat(32)}`,
  pin: 'sha256//ZJxakPPzgb4TjngoY/3oDJLo3E+sS9ek0/ChfIoft9s=',
  version: '0.1.0',
  shaBundle: 'cd'.repeat(32),
  shaX64: 'ef'.repeat(32),
  shaArm64: '',
};

describe('the install script', () => {
  it.runIf(hasShellcheck())('passes shellcheck as POSIX sh, rendered', () => {
    const file = join(tempDir(), 'install.sh');
    writeFileSync(file, renderInstallScript(VALUES));
    // Exit code 0 = no finding at any severity.
    execFileSync('shellcheck', ['--shell=sh', '--severity=style', file], { stdio: 'pipe' });
  });

  it('refuses a value that could leave its quotes', () => {
    expect(() => renderInstallScript({ ...VALUES, base: "https://x'; rm -rf /; '" })).toThrow(/cannot carry/);
  });

  it('gives a wget line that checks the script it runs against its hash', () => {
    const lines = installCommands(VALUES, 'ABCD-EFGH');
    expect(lines.curl).toBe(
      `curl -fsSL --insecure --pinnedpubkey '${VALUES.pin}' https://master.example:7443/install.sh | sh -s -- --code ABCD-EFGH`,
    );
    expect(lines.wget).toContain(`echo "${lines.scriptSha256}  $f" | sha256sum -c`);
  });
});
