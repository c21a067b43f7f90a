// Upgrading the fleet's agents in-band: start a staged rollout of the master's agent (N at a time,
// stopping past a failure threshold) and follow it, n of N, with the nodes that failed and why.
import { Alert, Button, Group, NumberInput, Paper, Progress, Stack, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';

export function AgentRolloutPanel({ client }: { client: Client }) {
  const { t } = useTranslation('install');
  const queryClient = useQueryClient();
  const [batchSize, setBatchSize] = useState(5);
  const [maxFailures, setMaxFailures] = useState(0);
  const rollouts = useQuery({
    queryKey: ['agentRollouts'],
    queryFn: () => client.listAgentRollouts({}),
    refetchInterval: (query) => (query.state.data?.[0]?.state === 'running' ? 1_000 : false),
  });
  const start = useMutation({
    mutationFn: () => client.startAgentRollout({ batchSize, maxFailures }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['agentRollouts'] }),
  });
  const latest = rollouts.data?.[0];
  const failed = latest?.nodes.filter((n) => n.state === 'failed') ?? [];
  return (
    <Paper withBorder p="md" className="agent-rollout">
      <Stack gap="sm">
        <Text fw={500}>{t('rollout.title')}</Text>
        <Group align="flex-end" wrap="wrap">
          <NumberInput
            label={t('rollout.batchSize')}
            min={1}
            max={1000}
            w={140}
            value={batchSize}
            onChange={(v) => setBatchSize(typeof v === 'number' && v >= 1 ? Math.floor(v) : 1)}
          />
          <NumberInput
            label={t('rollout.maxFailures')}
            min={0}
            max={100000}
            w={220}
            value={maxFailures}
            onChange={(v) => setMaxFailures(typeof v === 'number' && v >= 0 ? Math.floor(v) : 0)}
          />
          <Button onClick={() => start.mutate()} loading={start.isPending} disabled={latest?.state === 'running'}>
            {t('rollout.start')}
          </Button>
        </Group>
        {start.error && (
          <Text role="alert" c="red" size="sm">
            {start.error.message}
          </Text>
        )}
        {latest && (
          <Stack gap={4} aria-live="polite">
            <Text size="sm">
              {t(`rollout.state.${latest.state}`, { version: latest.version, done: latest.done, total: latest.total })}
            </Text>
            <Progress
              value={latest.total ? (latest.done / latest.total) * 100 : 100}
              color={latest.failed > 0 ? 'red' : 'blue'}
              aria-label={t('rollout.progress', { done: latest.done, total: latest.total })}
            />
            {latest.message && <Alert color="yellow">{latest.message}</Alert>}
            {failed.map((n) => (
              <Text key={n.nodeId} size="sm" c="red">
                {t('rollout.failedNode', { name: n.name, error: n.error ?? '' })}
              </Text>
            ))}
          </Stack>
        )}
      </Stack>
    </Paper>
  );
}
