import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { userMessage } from './errors';
import { logIn } from './session';
import type { Transport } from './transport';

/** The admin token's form: for the upgrade from the token, and for a master that has no account yet. */
export function TokenForm({
  onLoggedIn,
  autoFocus = false,
}: {
  onLoggedIn: (t: Transport) => void;
  autoFocus?: boolean;
}) {
  const { t } = useTranslation();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      onLoggedIn(await logIn(token));
    } catch (e) {
      setError(userMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Stack component="form" onSubmit={submit}>
      <PasswordInput
        label={t('login.token')}
        description={t('login.tokenHint')}
        autoFocus={autoFocus}
        value={token}
        onChange={(e) => setToken(e.currentTarget.value)}
      />
      {error && (
        <Alert color="red" role="alert">
          <Text size="sm">{error}</Text>
        </Alert>
      )}
      <Button type="submit" variant="default" disabled={!token.trim()} loading={busy}>
        {t('login.submit')}
      </Button>
    </Stack>
  );
}

export function Login({ onLoggedIn }: { onLoggedIn: (t: Transport) => void }) {
  const { t } = useTranslation();
  return (
    <Center component="main" mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={440}>
        <Stack>
          <Title order={1} size="h2">
            {t('appName')}
          </Title>
          <TokenForm onLoggedIn={onLoggedIn} autoFocus />
        </Stack>
      </Paper>
    </Center>
  );
}
