// Table types for the typed query layer. Timestamps are epoch milliseconds; JSON columns are text.
import type { Generated, Kysely } from 'kysely';

export interface NodesTable {
  id: string;
  name: string;
  labels: string;
  kind: 'agent' | 'local';
  token_hash: string | null;
  prev_token_hash: string | null;
  prev_token_expires_at: number | null;
  revoked_at: number | null;
  status: 'never-connected' | 'online' | 'offline';
  hostname: string | null;
  os: string | null;
  platform: string | null;
  arch: string | null;
  kernel: string | null;
  boot_id: string | null;
  agent_version: string | null;
  remote_addr: string | null;
  capabilities: string | null;
  connected_since: number | null;
  last_seen_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface NodeStatusEventsTable {
  id: Generated<number>;
  node_id: string;
  status: 'online' | 'offline';
  at: number;
  reason: string;
}

export interface SchemaVersionTable {
  version: number;
  name: string;
  applied_at: number;
}

export interface Database {
  nodes: NodesTable;
  node_status_events: NodeStatusEventsTable;
  schema_version: SchemaVersionTable;
}

export type Db = Kysely<Database>;
