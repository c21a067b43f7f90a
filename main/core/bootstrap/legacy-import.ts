// What an older FleetDeck kept in its data directory — its own known_hosts, ssh-credentials.json and
// tunnels.json, the secrets sealed by `secret.key` (or the desktop's safeStorage) — is imported into
// the store at start, once: each file is then renamed `<name>.imported` (kept, never deleted), so a
// later start does not read it again. Imports skip what the store already has (a crash between the
// import and the rename imports nothing twice). A file that cannot be imported now (no cluster key
// here, no key for the old secrets) is left in place and says why in the log.
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { ClusterKey } from '../secrets/cluster-key.js';
import { FileKeySecretBox, type SecretBox } from '../secrets/secret-box.js';
import type { CredentialStore } from './credentials.js';
import type { KnownHosts } from './known-hosts.js';
import type { TunnelManager } from './tunnels.js';

export interface LegacyImport {
  dataDir: string;
  knownHosts: KnownHosts;
  credentials: CredentialStore;
  tunnels: TunnelManager;
  clusterKey: ClusterKey;
  /** How the old secrets were sealed: the desktop passes safeStorage; else `<data-dir>/secret.key`. */
  legacySecretBox?: SecretBox;
  log: Logger;
}

export async function importLegacyFiles(options: LegacyImport): Promise<void> {
  const { dataDir, log } = options;
  const known = join(dataDir, 'known_hosts');
  if (existsSync(known)) {
    await imported(known, () => options.knownHosts.importFile(known), log);
  }
  const secretFiles = [
    {
      file: join(dataDir, 'ssh-credentials.json'),
      run: (box: SecretBox, f: string) => options.credentials.importFile(f, box),
    },
    { file: join(dataDir, 'tunnels.json'), run: (box: SecretBox, f: string) => options.tunnels.importFile(f, box) },
  ].filter((s) => existsSync(s.file));
  if (secretFiles.length === 0) return;
  const box = options.legacySecretBox ?? FileKeySecretBox.ifPresent(join(dataDir, 'secret.key'));
  if (!box) {
    log.error(
      { files: secretFiles.map((s) => s.file) },
      'cannot import saved SSH secrets: their key (secret.key) is missing; the files are left as they are',
    );
    return;
  }
  if (!options.clusterKey.ready) {
    log.warn(
      { files: secretFiles.map((s) => s.file) },
      'saved SSH secrets wait to be imported until this instance has the cluster key',
    );
    return;
  }
  for (const { file, run } of secretFiles) await imported(file, () => run(box, file), log);
}

async function imported(file: string, run: () => Promise<number>, log: Logger): Promise<void> {
  try {
    const added = await run();
    renameSync(file, `${file}.imported`);
    log.info({ file, added, keptAs: `${file}.imported` }, 'imported into the store');
  } catch (err) {
    log.error(
      { err, file },
      'could not import into the store; the file is left as it is and tried again at the next start',
    );
  }
}
