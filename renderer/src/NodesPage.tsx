import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import type { Client, OutputOf } from '../../main/contract/contract';
import type { Transport } from './transport';

type Node = OutputOf<'listNodes'>[number];
type Credentials = OutputOf<'createNode'>;

function ago(at: number | null): string {
  if (at === null) return '—';
  const s = Math.max(0, Math.round((Date.now() - at) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

export function NodesPage({ client, transport }: { client: Client; transport: Transport }) {
  const queryClient = useQueryClient();
  const nodes = useQuery({ queryKey: ['nodes'], queryFn: () => client.listNodes({}) });
  const [credentials, setCredentials] = useState<Credentials | null>(null);

  useEffect(
    () =>
      transport.subscribe((message) => {
        if (message.event.startsWith('node')) void queryClient.invalidateQueries({ queryKey: ['nodes'] });
      }),
    [transport, queryClient],
  );

  const refresh = () => queryClient.invalidateQueries({ queryKey: ['nodes'] });
  const revoke = useMutation({ mutationFn: (id: string) => client.revokeNode({ id }), onSettled: refresh });
  const rotate = useMutation({
    mutationFn: (id: string) => client.rotateNodeToken({ id }),
    onSuccess: setCredentials,
    onSettled: refresh,
  });
  const remove = useMutation({ mutationFn: (id: string) => client.deleteNode({ id }), onSettled: refresh });
  const actionError = revoke.error ?? rotate.error ?? remove.error;

  return (
    <main>
      <AddNode
        client={client}
        onCreated={(c) => {
          setCredentials(c);
          void refresh();
        }}
      />
      {credentials && (
        <CredentialsPanel
          credentials={credentials}
          live={nodes.data?.find((n) => n.id === credentials.node.id)}
          onClose={() => setCredentials(null)}
        />
      )}
      {actionError && (
        <p role="alert" className="error">
          {actionError.message}
        </p>
      )}
      {nodes.isError && (
        <p role="alert" className="error">
          {nodes.error.message}
        </p>
      )}
      <table className="nodes">
        <thead>
          <tr>
            <th>Status</th>
            <th>Name</th>
            <th>Host</th>
            <th>OS</th>
            <th>Agent</th>
            <th>Address</th>
            <th>Last seen</th>
            <th>Labels</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(nodes.data ?? []).map((node: Node) => (
            <tr key={node.id} data-node-id={node.id}>
              <td>
                <span className={`status ${node.status}`}>{node.revoked ? 'revoked' : node.status}</span>
              </td>
              <td>{node.name}</td>
              <td>{node.hostname ?? '—'}</td>
              <td>
                {node.os ?? '—'} {node.arch ?? ''}
              </td>
              <td>{node.agentVersion ?? '—'}</td>
              <td>{node.remoteAddress ?? '—'}</td>
              <td>{node.status === 'online' ? 'now' : ago(node.lastSeenAt)}</td>
              <td>
                {Object.entries(node.labels).map(([k, v]) => (
                  <span key={k} className="label">
                    {k}={v}
                  </span>
                ))}
              </td>
              <td className="actions">
                {node.kind === 'agent' && (
                  <>
                    <button type="button" onClick={() => rotate.mutate(node.id)}>
                      Rotate token
                    </button>
                    <button
                      type="button"
                      onClick={() =>
                        window.confirm(`Revoke ${node.name}? Its agent is disconnected now.`) && revoke.mutate(node.id)
                      }
                    >
                      Revoke
                    </button>
                    <button
                      type="button"
                      onClick={() => window.confirm(`Delete ${node.name}?`) && remove.mutate(node.id)}
                    >
                      Delete
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}

function AddNode({ client, onCreated }: { client: Client; onCreated: (c: Credentials) => void }) {
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => client.createNode({ name }),
    onSuccess: (c) => {
      setName('');
      onCreated(c);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form className="add-node" onSubmit={submit}>
      <label htmlFor="node-name">Add a node</label>
      <input id="node-name" placeholder="name, e.g. web-1" value={name} onChange={(e) => setName(e.target.value)} />
      <button type="submit" disabled={!name.trim() || create.isPending}>
        Create
      </button>
      {create.error && (
        <span role="alert" className="error">
          {create.error.message}
        </span>
      )}
    </form>
  );
}

function CredentialsPanel({
  credentials,
  live,
  onClose,
}: {
  credentials: Credentials;
  live: Node | undefined;
  onClose: () => void;
}) {
  const online = live?.status === 'online';
  return (
    <section className={`credentials ${online ? 'online' : ''}`} aria-live="polite">
      <p>
        Run this on <strong>{credentials.node.name}</strong> (the token is shown only now):
      </p>
      <pre>{credentials.agentCommand}</pre>
      <button type="button" onClick={() => void navigator.clipboard?.writeText(credentials.agentCommand)}>
        Copy
      </button>
      <button type="button" onClick={onClose}>
        Done
      </button>
      <p className="hint">{online ? 'Connected: the node is online.' : 'Waiting for the agent to connect…'}</p>
    </section>
  );
}
