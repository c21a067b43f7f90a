// Settings: how this master is set up (storage, gateway, certificate, retention, billing) and, with a
// shared database, every instance of the cluster and which one leads. Values are changed with the
// command-line flags shown next to them.
import { useQuery } from '@tanstack/react-query';
import type { Client } from '../../main/contract/contract';
import { ago } from './format';
import { Appearance } from './settings/Appearance';

export function Settings({ client }: { client: Client }) {
  const info = useQuery({ queryKey: ['masterInfo'], queryFn: () => client.masterInfo({}) });
  const instances = useQuery({
    queryKey: ['instances'],
    queryFn: () => client.listInstances({}),
    refetchInterval: 5_000,
  });
  const health = useQuery({ queryKey: ['health'], queryFn: () => client.health({}), refetchInterval: 10_000 });
  const s = info.data?.settings;
  const rows: Array<[string, string, string]> =
    info.data && s
      ? [
          ['Version', info.data.version, ''],
          ['Role', s.role, '--role'],
          ['Storage', `${s.database.dialect === 'sqlite' ? 'SQLite' : 'MariaDB'} — ${s.database.location}`, '--db'],
          ['Agent gateway', info.data.agentUrl, '--agent-listen, --agent-url'],
          ['Certificate fingerprint', info.data.fingerprint ?? 'none (plain ws://)', 'pinned by every agent'],
          ['Data directory', info.data.dataDir, '--data-dir'],
          ['Billing cycle', `starts on day ${s.billingDay}, ${s.billingTimeZone}`, '--billing-day, --billing-tz'],
          ['Rollup flush', `every ${s.metricsFlushSec} s`, '--metrics-flush-sec'],
          ['Finished commands kept', `${s.retention.commandsDays} days`, '--command-retention-days'],
          ['1-minute rollups kept', `${s.retention.minuteRollupHours} hours`, '--minute-retention-hours'],
          ['1-hour rollups kept', `${s.retention.hourRollupDays} days`, '--hour-retention-days'],
          ['Daily traffic kept', `${s.retention.dailyTrafficDays} days`, '--day-retention-days'],
        ]
      : [];
  return (
    <main className="settings">
      <h1>Settings</h1>
      <Appearance />
      {(info.error ?? instances.error) && (
        <p role="alert" className="error">
          {(info.error ?? instances.error)?.message}
        </p>
      )}
      {health.data && !health.data.ok && (
        <p role="alert" className="error">
          The database is not answering: {health.data.database.error}
        </p>
      )}
      <table className="plain">
        <tbody>
          {rows.map(([k, v, flag]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{v}</td>
              <td className="hint">{flag}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Instances</h2>
      <p className="hint">Masters sharing this database. One leads: it runs schedules, expiry and retention.</p>
      <table className="plain">
        <thead>
          <tr>
            <th>Instance</th>
            <th>Host</th>
            <th>Role</th>
            <th>State</th>
            <th>Agent URL</th>
            <th>Heartbeat</th>
            <th>Last error</th>
          </tr>
        </thead>
        <tbody>
          {(instances.data ?? []).map((i) => (
            <tr key={i.id}>
              <td>
                {i.id.slice(0, 8)}
                {i.self ? ' (this one)' : ''}
              </td>
              <td>{i.hostname}</td>
              <td>{i.role}</td>
              <td>
                <span className={`status ${i.alive ? 'online' : 'offline'}`}>{i.alive ? 'alive' : 'gone'}</span>
                {i.leader ? ' · leader' : ''}
              </td>
              <td>{i.agentUrl}</td>
              <td>{ago(i.heartbeatAt)}</td>
              <td>{i.lastError ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
