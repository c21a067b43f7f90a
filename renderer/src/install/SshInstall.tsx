// The SSH install wizard: hosts (typed or imported from ~/.ssh/config), credentials, options; then
// live per-host progress. An unknown host key stops with its fingerprint until the admin confirms it;
// a changed one is refused loudly. Credentials are sent for this job only and never stored (except,
// sealed, for a reverse tunnel that must reconnect by itself).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import type { Client, InputOf, OutputOf } from '../../../main/contract/contract';
import type { Transport } from '../transport';

type Job = OutputOf<'getBootstrap'>;
type Request = InputOf<'startBootstrap'>;

function parseHosts(text: string): Request['hosts'] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const match = /^(?:([^@\s]+)@)?([^:\s]+)(?::(\d+))?$/.exec(line);
      if (!match) throw new Error(`"${line}" is not user@host[:port]`);
      return { username: match[1] ?? 'root', host: match[2] as string, port: Number(match[3] ?? 22) };
    });
}

export function SshInstall({ client, transport }: { client: Client; transport: Transport }) {
  const queryClient = useQueryClient();
  const [hosts, setHosts] = useState('');
  const [method, setMethod] = useState<'key' | 'password' | 'agent'>('key');
  const [secret, setSecret] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [installDir, setInstallDir] = useState('');
  const [tunnel, setTunnel] = useState(false);
  const [confirmed, setConfirmed] = useState<string[]>([]);
  const [jobId, setJobId] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const imported = useQuery({ queryKey: ['sshConfigHosts'], queryFn: () => client.sshConfigHosts({}) });
  const job = useQuery({
    queryKey: ['bootstrap', jobId],
    queryFn: () => client.getBootstrap({ id: jobId as string }),
    enabled: jobId !== null,
  });
  useEffect(
    () =>
      transport.subscribe((message) => {
        if (message.event === 'bootstrapProgress' && message.data.jobId === jobId) {
          void queryClient.invalidateQueries({ queryKey: ['bootstrap', jobId] });
          if (message.data.status === 'done') void queryClient.invalidateQueries({ queryKey: ['nodes'] });
        }
      }),
    [transport, queryClient, jobId],
  );
  const start = useMutation({
    mutationFn: (trust: string[]) => {
      const auth =
        method === 'key'
          ? { privateKey: secret, ...(passphrase ? { passphrase } : {}) }
          : method === 'password'
            ? { password: secret }
            : { useAgent: true };
      return client.startBootstrap({
        hosts: parseHosts(hosts),
        auth,
        confirmHostKeys: trust.length ? trust : undefined,
        installDir: installDir || undefined,
        reverseTunnel: tunnel ? { remotePort: 17443 } : undefined,
      });
    },
    onSuccess: (created) => setJobId(created.id),
  });
  const submit = (event: FormEvent, trust = confirmed) => {
    event.preventDefault();
    setFormError(null);
    try {
      parseHosts(hosts);
    } catch (error) {
      setFormError((error as Error).message);
      return;
    }
    start.mutate(trust);
  };
  const trust = (fingerprint: string, event: FormEvent) => {
    const next = [...new Set([...confirmed, fingerprint])];
    setConfirmed(next);
    submit(event, next);
  };

  return (
    <section className="ssh-install" aria-label="Install over SSH">
      <h2>Install over SSH</h2>
      <form onSubmit={(e) => submit(e)} className="task-form">
        <label>
          Hosts, one per line (user@host:port)
          <textarea rows={3} value={hosts} onChange={(e) => setHosts(e.target.value)} placeholder="root@203.0.113.7" />
        </label>
        {(imported.data?.length ?? 0) > 0 && (
          <label>
            Import from ~/.ssh/config{' '}
            <select
              value=""
              onChange={(e) => {
                const h = imported.data?.find((x) => x.alias === e.target.value);
                if (h) setHosts((t) => `${t ? `${t}\n` : ''}${h.username ?? 'root'}@${h.host}:${h.port}`);
              }}
            >
              <option value="">choose a host…</option>
              {imported.data?.map((h) => (
                <option key={h.alias} value={h.alias}>
                  {h.alias} ({h.host})
                </option>
              ))}
            </select>
          </label>
        )}
        <fieldset className="row">
          <legend>Sign in with</legend>
          {(['key', 'password', 'agent'] as const).map((m) => (
            <label key={m}>
              <input type="radio" name="ssh-method" checked={method === m} onChange={() => setMethod(m)} />
              {m === 'key' ? 'private key' : m === 'password' ? 'password' : 'ssh-agent'}
            </label>
          ))}
        </fieldset>
        {method === 'key' && (
          <>
            <label>
              Private key (contents)
              <textarea
                rows={4}
                value={secret}
                onChange={(e) => setSecret(e.target.value)}
                placeholder="-----BEGIN OPENSSH PRIVATE KEY-----"
              />
            </label>
            <label>
              Passphrase <input type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
            </label>
          </>
        )}
        {method === 'password' && (
          <label>
            Password <input type="password" value={secret} onChange={(e) => setSecret(e.target.value)} />
          </label>
        )}
        <div className="row">
          <label>
            Install directory{' '}
            <input
              value={installDir}
              placeholder="/opt/fleetdeck-agent"
              onChange={(e) => setInstallDir(e.target.value)}
            />
          </label>
          <label>
            <input type="checkbox" checked={tunnel} onChange={(e) => setTunnel(e.target.checked)} /> This master is
            behind NAT (reverse tunnel)
          </label>
        </div>
        {(formError ?? start.error?.message) && (
          <p role="alert" className="error">
            {formError ?? start.error?.message}
          </p>
        )}
        <div className="row">
          <button type="submit" disabled={start.isPending || !hosts.trim()}>
            Install
          </button>
        </div>
      </form>
      {job.data && <Progress job={job.data} onTrust={trust} />}
    </section>
  );
}

function Progress({ job, onTrust }: { job: Job; onTrust: (fingerprint: string, event: FormEvent) => void }) {
  return (
    <table className="plain bootstrap-progress" aria-label="Install progress">
      <tbody>
        {job.hosts.map((h) => (
          <tr key={h.host} data-host={h.host}>
            <td>{h.host}</td>
            <td>
              <span className={`badge ${h.status === 'done' ? 'succeeded' : h.status === 'failed' ? 'failed' : ''}`}>
                {h.status}
              </span>
              {h.step && h.status === 'running' && ` · ${h.step}…`}
            </td>
            <td>
              {h.steps.map((s) => `${s.status === 'done' ? '✓' : '✗'} ${s.step}`).join('  ')}
              {h.message && <p className={h.status === 'failed' ? 'error' : 'hint'}>{h.message}</p>}
              {h.hostKey?.verdict === 'unknown' && (
                <form onSubmit={(e) => onTrust(h.hostKey?.fingerprint as string, e)}>
                  <p>
                    Fingerprint <code>{h.hostKey.fingerprint}</code>
                  </p>
                  <button type="submit">Trust this key and retry</button>
                </form>
              )}
              {h.output && <pre>{h.output}</pre>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
