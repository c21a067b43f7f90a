// Settings → My account (password, two-factor sign-in, browser sessions, sign out everywhere) and
// Settings → People (accounts, their roles with an optional label selector, reset, disable), for
// whoever may manage people (the operations answer 403 otherwise, and the section stays hidden).
import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  Image,
  NativeSelect,
  PasswordInput,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import { labelPairs } from '../../../main/contract/labels';
import { useDialogs } from '../dialogs';
import { userMessage } from '../errors';
import { ago } from '../format';
import { ScrollTable } from '../shell/ScrollTable';
import { ApiError } from '../transport';

type Role = 'administrator' | 'operator' | 'viewer';
type Grant = { role: Role; selector: [string, string][] | null };

const grantText = (g: Grant) =>
  g.selector ? `${g.role} (${g.selector.map(([k, v]) => `${k}=${v}`).join(', ')})` : g.role;

/** `passwordChecked`: a 403 means the password typed was wrong (not the role's "not allowed here"). */
function Failure({ error, passwordChecked = false }: { error: unknown; passwordChecked?: boolean }) {
  const { t } = useTranslation('settings');
  if (!error) return null;
  const wrongPassword = passwordChecked && error instanceof ApiError && error.code === 'forbidden';
  return (
    <Alert role="alert" color="red">
      {wrongPassword ? t('account.wrongPassword') : userMessage(error)}
    </Alert>
  );
}

export function MyAccount({ client }: { client: Client }) {
  const { t } = useTranslation('settings');
  const account = useQuery({ queryKey: ['myAccount'], queryFn: () => client.myAccount({}) });
  const user = account.data?.user;
  if (!user) return null;
  return (
    <Stack gap="sm">
      <Title order={2} size="h3">
        {t('account.title', { name: user.name })}
      </Title>
      <Text size="sm">{t('account.roles', { roles: user.grants.map(grantText).join(', ') || '—' })}</Text>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <ChangePassword client={client} />
        <TwoFactor client={client} enabled={user.totpEnabled} />
      </SimpleGrid>
      <Sessions client={client} />
    </Stack>
  );
}

function ChangePassword({ client }: { client: Client }) {
  const { t } = useTranslation('settings');
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNext] = useState('');
  const change = useMutation({
    mutationFn: () => client.changeMyPassword({ currentPassword, newPassword }),
    onSuccess: () => {
      setCurrent('');
      setNext('');
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    change.mutate();
  };
  return (
    <Stack component="form" onSubmit={submit} gap="xs">
      <Title order={3} size="h4">
        {t('account.password')}
      </Title>
      <PasswordInput
        label={t('account.current')}
        autoComplete="current-password"
        value={currentPassword}
        onChange={(e) => setCurrent(e.currentTarget.value)}
      />
      <PasswordInput
        label={t('account.new')}
        description={t('account.passwordHint')}
        autoComplete="new-password"
        value={newPassword}
        onChange={(e) => setNext(e.currentTarget.value)}
      />
      <Failure error={change.error} passwordChecked />
      {change.isSuccess && <Text size="sm">{t('account.passwordChanged')}</Text>}
      <Group>
        <Button type="submit" disabled={!currentPassword || !newPassword} loading={change.isPending}>
          {t('account.changePassword')}
        </Button>
      </Group>
    </Stack>
  );
}

function TwoFactor({ client, enabled }: { client: Client; enabled: boolean }) {
  const { t } = useTranslation('settings');
  const queryClient = useQueryClient();
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['myAccount'] });
  const start = useMutation({ mutationFn: () => client.startTotpEnrollment({}) });
  const confirm = useMutation({
    mutationFn: () => client.confirmTotpEnrollment({ code: code.trim() }),
    onSuccess: (result) => {
      setCodes(result.recoveryCodes);
      start.reset();
      setCode('');
      refresh();
    },
  });
  const disable = useMutation({
    mutationFn: () => client.disableMyTotp({ password }),
    onSuccess: () => {
      setPassword('');
      setCodes(null);
      refresh();
    },
  });
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        {t('account.twoFactor')}
      </Title>
      <Text size="sm">{enabled ? t('account.twoFactorOn') : t('account.twoFactorOff')}</Text>
      {codes && (
        // The title in the text colour: Mantine's yellow on its light yellow is 2.7:1.
        <Alert
          color="yellow"
          title={t('account.recoveryTitle')}
          styles={{ title: { color: 'var(--mantine-color-text)' } }}
        >
          <Text size="sm">{t('account.recoveryHint')}</Text>
          <Code block data-testid="recovery-codes">
            {codes.join('\n')}
          </Code>
        </Alert>
      )}
      {!enabled && !start.data && (
        <Group>
          <Button onClick={() => start.mutate()} loading={start.isPending}>
            {t('account.enroll')}
          </Button>
        </Group>
      )}
      {!enabled && start.data && (
        <Stack
          component="form"
          gap="xs"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            confirm.mutate();
          }}
        >
          <Text size="sm">{t('account.scan')}</Text>
          <Image
            src={`data:image/svg+xml;utf8,${encodeURIComponent(start.data.qrSvg)}`}
            alt={t('account.qrAlt')}
            w={180}
            h={180}
            bg="white"
          />
          <Text size="sm">
            {t('account.secret')} <Code data-testid="totp-secret">{start.data.secret}</Code>
          </Text>
          <TextInput
            label={t('account.code')}
            autoComplete="one-time-code"
            value={code}
            onChange={(e) => setCode(e.currentTarget.value)}
          />
          <Failure error={confirm.error} />
          <Group>
            <Button type="submit" disabled={!code.trim()} loading={confirm.isPending}>
              {t('account.confirm')}
            </Button>
          </Group>
        </Stack>
      )}
      {enabled && (
        <Stack
          component="form"
          gap="xs"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            disable.mutate();
          }}
        >
          <PasswordInput
            label={t('account.current')}
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
          />
          <Failure error={disable.error} passwordChecked />
          <Group>
            <Button type="submit" color="red" variant="light" disabled={!password} loading={disable.isPending}>
              {t('account.disableTwoFactor')}
            </Button>
          </Group>
        </Stack>
      )}
      <Failure error={start.error} />
    </Stack>
  );
}

function Sessions({ client }: { client: Client }) {
  const { t } = useTranslation('settings');
  const queryClient = useQueryClient();
  // Other browsers sign in without an event saying so: opening the screen asks again.
  const sessions = useQuery({
    queryKey: ['mySessions'],
    queryFn: () => client.listMySessions({}),
    refetchOnMount: 'always',
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['mySessions'] });
  const revoke = useMutation({ mutationFn: (id: string) => client.revokeMySession({ id }), onSuccess: refresh });
  const everywhere = useMutation({
    mutationFn: () => client.signOutEverywhere({}),
    // This session ended too: the next request answers 401 and the app shows the sign-in page.
    onSuccess: () => window.location.reload(),
  });
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        {t('account.sessions')}
      </Title>
      <ScrollTable label={t('account.sessions')} minWidth={560}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('account.device')}</Table.Th>
              <Table.Th>{t('account.address')}</Table.Th>
              <Table.Th>{t('account.lastSeen')}</Table.Th>
              <Table.Th>
                <VisuallyHidden>{t('account.actions')}</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(sessions.data ?? []).map((s) => (
              <Table.Tr key={s.id}>
                <Table.Td>
                  <Text size="sm" lineClamp={1} title={s.userAgent ?? ''}>
                    {s.userAgent ?? '—'}
                  </Text>
                  {s.current && <Badge size="sm">{t('account.thisSession')}</Badge>}
                </Table.Td>
                <Table.Td>{s.address ?? '—'}</Table.Td>
                <Table.Td>{ago(s.lastSeenAt)}</Table.Td>
                <Table.Td>
                  {!s.current && (
                    <Button size="xs" variant="default" onClick={() => revoke.mutate(s.id)}>
                      {t('account.signOut')}
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollTable>
      <Failure error={sessions.error ?? revoke.error ?? everywhere.error} />
      <Group>
        <Button color="red" variant="light" onClick={() => everywhere.mutate()} loading={everywhere.isPending}>
          {t('account.signOutEverywhere')}
        </Button>
      </Group>
    </Stack>
  );
}

/** "env=staging, team=web" → a selector; empty → every node. */
function selectorOf(text: string): [string, string][] | null {
  const pairs = labelPairs(text).filter(([k]) => k);
  return pairs.length ? pairs : null;
}

export function People({ client }: { client: Client }) {
  const { t } = useTranslation('settings');
  const dialogs = useDialogs();
  const queryClient = useQueryClient();
  const users = useQuery({ queryKey: ['users'], queryFn: () => client.listUsers({}), retry: false });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['users'] });
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [selector, setSelector] = useState('');
  const create = useMutation({
    mutationFn: () =>
      client.createUser({
        name: name.trim(),
        password: password || undefined,
        grants: [{ role, selector: selectorOf(selector) }],
      }),
    onSuccess: () => {
      setName('');
      setPassword('');
      setSelector('');
      refresh();
    },
  });
  const update = useMutation({
    mutationFn: (input: { id: string; disabled?: boolean; grants?: Grant[] }) => client.updateUser(input),
    onSuccess: refresh,
  });
  const reset = useMutation({
    mutationFn: (input: { id: string; password: string }) => client.resetUserPassword(input),
  });
  // Someone who may not manage people gets 403 here: the section is not theirs.
  if (users.isError || !users.data) return null;
  const roles: Role[] = ['administrator', 'operator', 'viewer'];
  return (
    <Stack gap="sm">
      <Title order={2} size="h3">
        {t('people.title')}
      </Title>
      <ScrollTable label={t('people.title')} minWidth={640}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('people.name')}</Table.Th>
              <Table.Th>{t('people.roles')}</Table.Th>
              <Table.Th>{t('people.state')}</Table.Th>
              <Table.Th>{t('account.lastSeen')}</Table.Th>
              <Table.Th>
                <VisuallyHidden>{t('account.actions')}</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {users.data.map((u) => (
              <Table.Tr key={u.id}>
                <Table.Td>{u.name}</Table.Td>
                <Table.Td>{u.grants.map(grantText).join(', ') || t('people.noRole')}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {u.disabled && <Badge color="gray">{t('people.disabled')}</Badge>}
                    {u.totpEnabled && <Badge>{t('people.twoFactor')}</Badge>}
                    {u.oidc && <Badge variant="light">{t('people.sso')}</Badge>}
                  </Group>
                </Table.Td>
                <Table.Td>{u.lastSeenAt ? ago(u.lastSeenAt) : '—'}</Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <NativeSelect
                      size="xs"
                      aria-label={t('people.roleOf', { name: u.name })}
                      value={u.grants[0]?.role ?? ''}
                      data={[{ value: '', label: t('people.noRole') }, ...roles.map((r) => ({ value: r, label: r }))]}
                      onChange={(e) => {
                        const next = e.currentTarget.value as Role | '';
                        const scoped = u.grants[0]?.selector ?? null;
                        update.mutate({ id: u.id, grants: next ? [{ role: next, selector: scoped }] : [] });
                      }}
                    />
                    <Button
                      size="xs"
                      variant="default"
                      onClick={() => update.mutate({ id: u.id, disabled: !u.disabled })}
                    >
                      {u.disabled ? t('people.enable') : t('people.disable')}
                    </Button>
                    <Button
                      size="xs"
                      variant="default"
                      onClick={async () => {
                        const next = await dialogs.prompt({
                          title: t('people.resetTitle', { name: u.name }),
                          label: t('people.resetPrompt', { name: u.name }),
                          confirmLabel: t('people.reset'),
                          secret: true,
                          validate: (value) => (value.length < 12 ? t('people.resetTooShort') : null),
                        });
                        if (next) reset.mutate({ id: u.id, password: next });
                      }}
                    >
                      {t('people.reset')}
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollTable>
      <Failure error={update.error ?? reset.error} />
      <Stack
        component="form"
        gap="xs"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Title order={3} size="h4">
          {t('people.add')}
        </Title>
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
          <TextInput label={t('people.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <PasswordInput
            label={t('account.new')}
            description={t('people.passwordHint')}
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
          />
          <NativeSelect
            label={t('people.role')}
            value={role}
            data={roles}
            onChange={(e) => setRole(e.currentTarget.value as Role)}
          />
          <TextInput
            label={t('people.selector')}
            description={t('people.selectorHint')}
            placeholder="env=staging"
            value={selector}
            onChange={(e) => setSelector(e.currentTarget.value)}
          />
        </SimpleGrid>
        <Failure error={create.error} />
        <Group>
          <Button type="submit" disabled={!name.trim()} loading={create.isPending}>
            {t('people.create')}
          </Button>
        </Group>
      </Stack>
    </Stack>
  );
}
