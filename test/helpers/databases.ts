// The store test-suites run against every database FleetDeck supports: a SQLite file always, and
// MariaDB when one is reachable (127.0.0.1:3306, root, empty password, as on CI; or
// FLEETDECK_MARIADB_URL). Each MariaDB store gets a fresh database of its own, dropped afterwards.
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { openStore, type Store } from '../../main/core/store/store.js';
import { tempDir } from './processes.js';
import { serviceAvailable } from './services.js';

export const MARIADB_URL = process.env.FLEETDECK_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test';

async function reachable(): Promise<boolean> {
  try {
    const connection = await createConnection({ uri: MARIADB_URL, connectTimeout: 2_000 });
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

const mariadbUp = await reachable();

export const hasMariadb = () =>
  serviceAvailable(
    'MariaDB',
    mariadbUp,
    `start MariaDB at 127.0.0.1:3306 with user root and an empty password ("apt-get install mariadb-server"), or set FLEETDECK_MARIADB_URL`,
  );

let counter = 0;

/** A fresh, empty MariaDB database; returns its URL and a function that drops it. */
export async function freshMariadb(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `fleetdeck_t${process.pid}_${Date.now() % 1_000_000}_${counter++}`;
  const admin = await createConnection({ uri: MARIADB_URL });
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(MARIADB_URL);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    drop: async () => {
      const c = await createConnection({ uri: MARIADB_URL });
      await c.query(`drop database if exists ${name}`);
      await c.end();
    },
  };
}

export interface StoreTarget {
  name: 'sqlite' | 'mariadb';
  open(): Promise<{ store: Store; cleanup: () => Promise<void> }>;
}

/** The databases to run a store suite against (MariaDB skipped loudly when absent). */
export function storeTargets(): StoreTarget[] {
  const targets: StoreTarget[] = [
    {
      name: 'sqlite',
      open: async () => {
        const store = await openStore(join(tempDir(), 'store.db'));
        return { store, cleanup: () => store.close() };
      },
    },
  ];
  if (hasMariadb()) {
    targets.push({
      name: 'mariadb',
      open: async () => {
        const { url, drop } = await freshMariadb();
        const store = await openStore(url);
        return {
          store,
          cleanup: async () => {
            await store.close();
            await drop();
          },
        };
      },
    });
  }
  return targets;
}
