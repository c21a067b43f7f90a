// The SSH install wizard: hosts (typed or imported from ~/.ssh/config), credentials, options; then
// live per-host progress. An unknown host key stops with its fingerprint until the admin confirms it;
// a changed one is refused loudly. Credentials are sent for this job only and never stored (except,
// sealed, for a reverse tunnel that must reconnect by itself).
import {
  Alert,
  Button,
  Checkbox,
  Code,
  Group,
  NativeSelect,
  PasswordInput,
  Radio,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client, InputOf, OutputOf } from '../../../main/contract/contract';
import { userMessage } from '../errors';
import { i18n } from '../i18n';
import { ScrollTable } from '../shell/ScrollTable';
import { HOST_INSTALL_TONE, ToneBadge } from '../theme/status-badge';
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
      if (!match) throw new Error(i18n.t('install:ssh.badHost', { line }));
      return { username: match[1] ?? 'root', host: match[2] as string, port: Number(match[3] ?? 22) };
    });
}

export function SshInstall({ client, transport }: { client: Client; transport: Transport }) {
  const { t } = useTranslation('install');
  const queryClient = useQueryClient();
  const [hosts, setHosts] = useState('');
  const [method, setMethod] = useState<'key' | 'password' | 'agent'>('key');
  const [secret, setSecret] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [installDir, setInstallDir] = useState('');
  const [tunnel, setTunnel] = useState(false);
  // Off by default, as on the agent: a shell on the host is the widest thing an agent can allow.
  const [terminal, setTerminal] = useState(false);
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
        capabilities: terminal ? { terminal: true } : undefined,
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
    <Stack component="section" className="ssh-install" aria-label={t('ssh.title')} gap="sm">
      <Title order={2} size="h4">
        {t('ssh.title')}
      </Title>
      <form onSubmit={(e) => submit(e)} className="task-form">
        <Stack gap="sm" maw={900}>
          <Textarea
            label={t('ssh.hosts')}
            autosize
            minRows={3}
            ff="monospace"
            value={hosts}
            onChange={(e) => setHosts(e.currentTarget.value)}
            placeholder="root@203.0.113.7"
          />
          {(imported.data?.length ?? 0) > 0 && (
            <NativeSelect
              label={t('ssh.import')}
              value=""
              onChange={(e) => {
                const h = imported.data?.find((x) => x.alias === e.currentTarget.value);
                if (h) setHosts((text) => `${text ? `${text}\n` : ''}${h.username ?? 'root'}@${h.host}:${h.port}`);
              }}
              data={[
                { value: '', label: t('ssh.chooseHost') },
                ...(imported.data ?? []).map((h) => ({ value: h.alias, label: `${h.alias} (${h.host})` })),
              ]}
            />
          )}
          <Radio.Group label={t('ssh.signIn')} value={method} onChange={(value) => setMethod(value as typeof method)}>
            <Group gap="md" mt={4}>
              <Radio value="key" label={t('ssh.method.key')} />
              <Radio value="password" label={t('ssh.method.password')} />
              <Radio value="agent" label={t('ssh.method.agent')} />
            </Group>
          </Radio.Group>
          {method === 'key' && (
            <>
              <Textarea
                label={t('ssh.privateKey')}
                autosize
                minRows={4}
                maxRows={10}
                ff="monospace"
                value={secret}
                onChange={(e) => setSecret(e.currentTarget.value)}
                placeholder="-----BEGIN OPENSSH PRIVATE KEY-----"
              />
              <PasswordInput
                label={t('ssh.passphrase')}
                value={passphrase}
                onChange={(e) => setPassphrase(e.currentTarget.value)}
              />
            </>
          )}
          {method === 'password' && (
            <PasswordInput
              label={t('ssh.password')}
              value={secret}
              onChange={(e) => setSecret(e.currentTarget.value)}
            />
          )}
          <Group gap="md" align="flex-end">
            <TextInput
              label={t('ssh.installDir')}
              value={installDir}
              placeholder="/opt/fleetdeck-agent"
              onChange={(e) => setInstallDir(e.currentTarget.value)}
              style={{ flex: '1 1 18rem' }}
            />
            <Checkbox
              label={t('ssh.tunnel')}
              checked={tunnel}
              onChange={(e) => setTunnel(e.currentTarget.checked)}
              mb={8}
            />
          </Group>
          <Checkbox
            label={t('ssh.terminal')}
            description={t('ssh.terminalHint')}
            checked={terminal}
            onChange={(e) => setTerminal(e.currentTarget.checked)}
          />
          {(formError ?? start.error) && (
            <Alert role="alert" color="red">
              {formError ?? userMessage(start.error)}
            </Alert>
          )}
          <Group>
            <Button type="submit" loading={start.isPending} disabled={!hosts.trim()}>
              {t('ssh.install')}
            </Button>
          </Group>
        </Stack>
      </form>
      {job.data && <Progress job={job.data} onTrust={trust} />}
    </Stack>
  );
}

function Progress({ job, onTrust }: { job: Job; onTrust: (fingerprint: string, event: FormEvent) => void }) {
  const { t } = useTranslation('install');
  return (
    <ScrollTable label={t('ssh.progress')} minWidth={560}>
      <Table className="plain bootstrap-progress" aria-label={t('ssh.progress')}>
        <Table.Tbody>
          {job.hosts.map((h) => (
            <Table.Tr key={h.host} data-host={h.host}>
              <Table.Td>{h.host}</Table.Td>
              <Table.Td>
                <ToneBadge
                  tone={HOST_INSTALL_TONE[h.status]}
                  className={`badge ${h.status === 'done' ? 'succeeded' : h.status === 'failed' ? 'failed' : ''}`}
                >
                  {t(`ssh.status.${h.status}`)}
                </ToneBadge>
                {h.step && h.status === 'running' && ` · ${h.step}…`}
              </Table.Td>
              <Table.Td>
                {h.steps.map((step) => `${step.status === 'done' ? '✓' : '✗'} ${step.step}`).join('  ')}
                {h.message && (
                  <Text size="sm" className={h.status === 'failed' ? 'error' : 'hint'}>
                    {h.message}
                  </Text>
                )}
                {h.hostKey?.verdict === 'unknown' && (
                  <form onSubmit={(e) => onTrust(h.hostKey?.fingerprint as string, e)}>
                    <Stack gap={4} align="flex-start">
                      <Text size="sm">
                        {t('ssh.fingerprint')} <Code>{h.hostKey.fingerprint}</Code>
                      </Text>
                      <Text size="sm" c="dimmed">
                        {t('ssh.trustHint')}
                      </Text>
                      <Button type="submit" size="xs">
                        {t('ssh.trust')}
                      </Button>
                    </Stack>
                  </form>
                )}
                {h.output && <pre>{h.output}</pre>}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  );
}
