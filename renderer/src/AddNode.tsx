// Adding a node: name → the agent command with token and fingerprint, shown once; the panel turns
// green when the agent connects.
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { Client, OutputOf } from '../../main/contract/contract';

type Node = OutputOf<'listNodes'>[number];
export type Credentials = OutputOf<'createNode'>;

export function AddNode({ client, onCreated }: { client: Client; onCreated: (c: Credentials) => void }) {
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

export function CredentialsPanel({
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
