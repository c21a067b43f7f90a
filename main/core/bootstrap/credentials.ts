// Saved SSH credentials, sealed at rest (SecretBox: a key file on the headless master, Electron's
// safeStorage in the desktop app). Listing never returns a secret; only the bootstrap reads them back.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { FleetError } from '../../contract/errors.js';
import type { SecretBox } from './secret-box.js';
import type { SshAuth } from './ssh-session.js';

interface StoredCredential {
  id: string;
  name: string;
  kind: 'key' | 'password' | 'agent';
  createdAt: number;
  sealed: string;
}

export type CredentialInfo = Omit<StoredCredential, 'sealed'>;

export class CredentialStore {
  constructor(
    private readonly file: string,
    private readonly box: SecretBox,
  ) {}

  private read(): StoredCredential[] {
    return existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as StoredCredential[]) : [];
  }

  private write(all: StoredCredential[]): void {
    writeFileSync(this.file, JSON.stringify(all, null, 2), { mode: 0o600 });
  }

  list(): CredentialInfo[] {
    return this.read().map(({ sealed: _sealed, ...info }) => info);
  }

  save(name: string, auth: SshAuth): CredentialInfo {
    const kind = auth.privateKey !== undefined ? 'key' : auth.password !== undefined ? 'password' : 'agent';
    const entry: StoredCredential = {
      id: randomUUID(),
      name,
      kind,
      createdAt: Date.now(),
      sealed: this.box.seal(JSON.stringify(auth)),
    };
    this.write([...this.read(), entry]);
    const { sealed: _sealed, ...info } = entry;
    return info;
  }

  get(id: string): SshAuth {
    const entry = this.read().find((c) => c.id === id);
    if (!entry) throw new FleetError('not_found', `No saved SSH credential ${id}.`);
    return JSON.parse(this.box.open(entry.sealed)) as SshAuth;
  }

  remove(id: string): void {
    const all = this.read();
    if (!all.some((c) => c.id === id)) throw new FleetError('not_found', `No saved SSH credential ${id}.`);
    this.write(all.filter((c) => c.id !== id));
  }
}
