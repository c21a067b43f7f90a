import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { userMessage } from './errors';
import { logIn } from './session';
import type { Transport } from './transport';

export function Login({ onLoggedIn }: { onLoggedIn: (t: Transport) => void }) {
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
    <Center component="main" mih="100vh" p="md">
      <Paper component="form" onSubmit={submit} withBorder shadow="sm" p="xl" w="100%" maw={440}>
        <Stack>
          <Title order={1} size="h2">
            {t('appName')}
          </Title>
          <PasswordInput
            label={t('login.token')}
            description={t('login.tokenHint')}
            autoFocus
            value={token}
            onChange={(e) => setToken(e.currentTarget.value)}
          />
          {error && (
            <Alert color="red" role="alert">
              <Text size="sm">{error}</Text>
            </Alert>
          )}
          <Button type="submit" disabled={!token.trim()} loading={busy}>
            {t('login.submit')}
          </Button>
        </Stack>
      </Paper>
    </Center>
  );
}
