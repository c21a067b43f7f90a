// Two real masters on one fresh MariaDB database: A starts first (creating what a cluster shares:
// the cluster key, the gateway's TLS identity), B gets the files of A's data directory named in
// `share` and starts on the same database. `close()` stops B, then A, then drops the database.
//
//   const { a, b, close } = await twoMasters({ share: ['cluster.key'] });
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freshMariadb } from './databases.js';
import { type MasterHandle, startMaster, tempDir } from './processes.js';

export interface TwoMasters {
  a: MasterHandle;
  b: MasterHandle;
  dbUrl: string;
  close(): Promise<void>;
}

export async function twoMasters(options: { share: readonly string[]; args?: string[] }): Promise<TwoMasters> {
  const db = await freshMariadb();
  const args = ['--db', db.url, ...(options.args ?? [])];
  let a: MasterHandle | undefined;
  let b: MasterHandle | undefined;
  const close = async () => {
    await b?.proc.stop();
    await a?.proc.stop();
    await db.drop();
  };
  try {
    a = await startMaster({ args });
    const bDir = tempDir('fleetdeck-master-b-');
    mkdirSync(bDir, { recursive: true });
    for (const path of options.share) cpSync(join(a.dataDir, path), join(bDir, path), { recursive: true });
    b = await startMaster({ dataDir: bDir, args });
    return { a, b, dbUrl: db.url, close };
  } catch (error) {
    await close();
    throw error;
  }
}
