// The built-in local node: the master's own machine, served in-process with the same hello an
// agent would send, so a new install shows one working node at first start.
import os from 'node:os';
import { collectHostFacts } from '../../../agent/host-facts.js';
import { type HelloMessage, PROTOCOL_VERSION } from '../../../agent/protocol.js';
import { VERSION } from '../../../agent/version.js';
import type { NodeRegistry } from '../nodes/registry.js';

export const LOCAL_NODE_ID = 'local';

export function localHello(): HelloMessage {
  return {
    type: 'hello',
    protocol: PROTOCOL_VERSION,
    agentVersion: VERSION,
    facts: collectHostFacts(),
    capabilities: { exec: true, files: true, filesWrite: true, roots: [os.homedir()] },
  };
}

export async function startLocalNode(registry: NodeRegistry): Promise<void> {
  const existing = await registry.list();
  if (!existing.some((n) => n.id === LOCAL_NODE_ID)) {
    await registry.create({ id: LOCAL_NODE_ID, name: `${os.hostname()} (this master)`, kind: 'local' });
  }
  await registry.markOnline(LOCAL_NODE_ID, localHello(), 'in-process', 'master started');
}

export async function stopLocalNode(registry: NodeRegistry): Promise<void> {
  await registry.markOffline(LOCAL_NODE_ID, 'master stopped');
}
