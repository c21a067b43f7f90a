// The gateway's descriptor budget: read from /proc/self/limits, a reserve kept for the admin
// listener, the database and files.
import { describe, expect, it } from 'vitest';
import { descriptorBudget, openFileLimit } from '../../main/core/gateway/descriptors.js';
import { GoodAddresses } from '../../main/core/gateway/good-addresses.js';

const limits = (soft: string) =>
  `Limit                     Soft Limit           Hard Limit           Units     \n` +
  `Max cpu time              unlimited            unlimited            seconds   \n` +
  `Max open files            ${soft}                 1048576              files     \n`;

describe('descriptor budget', () => {
  it('reads the soft open-file limit; unlimited or unreadable is null', () => {
    expect(openFileLimit(() => limits('1024'))).toBe(1024);
    expect(openFileLimit(() => limits('unlimited'))).toBeNull();
    expect(
      openFileLimit(() => {
        throw new Error('ENOENT');
      }),
    ).toBeNull();
    expect(openFileLimit()).toBeGreaterThan(0); // this machine is Linux
  });

  it('keeps a reserve below the limit, half of it for the admin listener', () => {
    expect(descriptorBudget(1024)).toEqual({ limit: 1024, reserve: 256, gateway: 768, admin: 128 });
    expect(descriptorBudget(20_000)).toEqual({ limit: 20_000, reserve: 2_500, gateway: 17_500, admin: 1_250 });
    // A tiny limit still leaves the gateway half.
    expect(descriptorBudget(300)).toMatchObject({ reserve: 150, gateway: 150 });
    expect(descriptorBudget(null).gateway).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('good addresses', () => {
  it('remembers an address for its time to live, bounded in size', () => {
    let now = 0;
    const good = new GoodAddresses(1_000, 2, () => now);
    good.record('10.0.0.1');
    good.record('10.0.0.2');
    good.record('10.0.0.3');
    expect(good.has('10.0.0.1')).toBe(false);
    expect(good.has('10.0.0.3')).toBe(true);
    now = 1_000;
    expect(good.has('10.0.0.3')).toBe(false);
  });
});
