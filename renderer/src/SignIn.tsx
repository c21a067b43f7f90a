// The browser's way in: sign in with an account (name, password, then the code when the account has
// two factors), single sign-on when set up, the first-run setup page from the printed link, or the
// admin token (Login.tsx) for the upgrade and for scripts' people.
import { Alert, Button, Center, Divider, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { userMessage } from './errors';
import { Login, TokenForm } from './Login';
import { type AuthState, completeSetup, signIn } from './session';
import type { Transport } from './transport';
import { ApiError } from './transport';

/** The master's own words here: its generic 401/403 texts are about the admin token. */
const signInMessage = (e: unknown) => (e instanceof ApiError ? e.detail : userMessage(e));

function urlParam(name: string): string | null {
  return new URLSearchParams(window.location.search).get(name);
}

/** Drops a one-time parameter (the setup token, an SSO error) from the address bar and history. */
function forgetParam(name: string): void {
  const url = new URL(window.location.href);
  url.searchParams.delete(name);
  window.history.replaceState(window.history.state, '', url.href);
}

function Frame({
  title,
  children,
  onSubmit,
  onToken,
}: {
  title: string;
  children: ReactNode;
  onSubmit?: (e: FormEvent) => void;
  onToken: (t: Transport) => void;
}) {
  const { t } = useTranslation();
  return (
    <Center component="main" mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={440}>
        <Stack>
          <Title order={1} size="h2">
            {t('appName')}
          </Title>
          <Stack component="form" onSubmit={onSubmit}>
            <Title order={2} size="h4">
              {title}
            </Title>
            {children}
          </Stack>
          <Divider label={t('signIn.orToken')} labelPosition="center" />
          <TokenForm onLoggedIn={onToken} />
        </Stack>
      </Paper>
    </Center>
  );
}

function ErrorAlert({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <Alert color="red" role="alert">
      <Text size="sm">{error}</Text>
    </Alert>
  );
}

export function SignIn({ state, onSignedIn }: { state: AuthState | null; onSignedIn: (t: Transport) => void }) {
  // A master that does not answer /api/auth: the admin token is the way in.
  if (state === null) return <Login onLoggedIn={onSignedIn} />;
  if (state.setupRequired) return <Setup token={urlParam('setup')} onSignedIn={onSignedIn} />;
  return <PasswordSignIn state={state} onSignedIn={onSignedIn} />;
}

function PasswordSignIn({ state, onSignedIn }: { state: AuthState; onSignedIn: (t: Transport) => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needsCode, setNeedsCode] = useState(false);
  const [error, setError] = useState<string | null>(() => {
    const sso = urlParam('signInError');
    if (sso) forgetParam('signInError');
    return sso;
  });
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      onSignedIn(await signIn({ name: name.trim(), password, code: needsCode ? code.trim() : undefined }));
    } catch (e) {
      if ((e as { secondFactorRequired?: boolean }).secondFactorRequired) setNeedsCode(true);
      else setError(signInMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Frame title={t('signIn.title')} onSubmit={submit} onToken={onSignedIn}>
      <TextInput
        label={t('signIn.name')}
        autoComplete="username"
        autoFocus
        value={name}
        onChange={(e) => setName(e.currentTarget.value)}
        disabled={needsCode}
      />
      <PasswordInput
        label={t('signIn.password')}
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.currentTarget.value)}
        disabled={needsCode}
      />
      {needsCode && (
        <TextInput
          label={t('signIn.code')}
          description={t('signIn.codeHint')}
          autoComplete="one-time-code"
          inputMode="text"
          autoFocus
          value={code}
          onChange={(e) => setCode(e.currentTarget.value)}
        />
      )}
      <ErrorAlert error={error} />
      <Button type="submit" disabled={!name.trim() || !password || (needsCode && !code.trim())} loading={busy}>
        {t('signIn.submit')}
      </Button>
      {state.oidc.enabled && (
        <>
          <Divider label={t('signIn.or')} labelPosition="center" />
          <Button component="a" href="/api/auth/oidc/start" variant="default">
            {t('signIn.sso', { label: state.oidc.label })}
          </Button>
        </>
      )}
    </Frame>
  );
}

function Setup({ token, onSignedIn }: { token: string | null; onSignedIn: (t: Transport) => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const mismatch = again !== '' && again !== password;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!token) return;
    setError(null);
    setBusy(true);
    try {
      const transport = await completeSetup({ token, name: name.trim(), password });
      forgetParam('setup');
      onSignedIn(transport);
    } catch (e) {
      setError(signInMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Frame title={t('setup.title')} onSubmit={submit} onToken={onSignedIn}>
      {token ? (
        <>
          <Text size="sm">{t('setup.intro')}</Text>
          <TextInput
            label={t('signIn.name')}
            autoComplete="username"
            autoFocus
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
          />
          <PasswordInput
            label={t('signIn.password')}
            description={t('setup.passwordHint')}
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
          />
          <PasswordInput
            label={t('setup.again')}
            autoComplete="new-password"
            value={again}
            error={mismatch ? t('setup.mismatch') : undefined}
            onChange={(e) => setAgain(e.currentTarget.value)}
          />
          <ErrorAlert error={error} />
          <Button type="submit" disabled={!name.trim() || !password || password !== again} loading={busy}>
            {t('setup.submit')}
          </Button>
        </>
      ) : (
        <Text size="sm">{t('setup.noLink')}</Text>
      )}
    </Frame>
  );
}
