// Schemas for installing, upgrading and removing agents over SSH, and FleetDeck's known hosts.
import { z } from 'zod';
import { Labels, NodeId } from './schemas.js';

const HostName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9._:[\]-]+$/, 'a host name or IP address');
const UserName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'a user name');

const SshSecrets = z.object({
  password: z.string().max(1024).optional(),
  privateKey: z
    .string()
    .max(64 * 1024)
    .optional()
    .describe('the key file contents (OpenSSH or PEM)'),
  passphrase: z.string().max(1024).optional(),
  useAgent: z.boolean().optional().describe("use the master's ssh-agent (SSH_AUTH_SOCK)"),
});
const hasSecret = (a: z.infer<typeof SshSecrets>) =>
  a.password !== undefined || a.privateKey !== undefined || a.useAgent === true;

export const SshAuthInput = SshSecrets.extend({
  credentialId: z.string().max(64).optional().describe('a saved credential instead of the fields above'),
}).refine(
  (a) => hasSecret(a) || a.credentialId !== undefined,
  'give a password, a private key, useAgent or credentialId',
);

export const SaveSshCredential = z.object({
  name: z.string().min(1).max(128),
  auth: SshSecrets.refine(hasSecret, 'give a password, a private key or useAgent'),
});

export const SshCredentialView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['key', 'password', 'agent']),
  createdAt: z.number(),
});

const Fingerprint = z
  .string()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'a fingerprint like SHA256:… (43 base64 characters)');

export const StartBootstrap = z.object({
  hosts: z
    .array(
      z.object({
        host: HostName,
        port: z.number().int().min(1).max(65_535).default(22),
        username: UserName,
        name: z.string().min(1).max(128).optional(),
        labels: Labels.optional(),
        jump: z
          .object({ host: HostName, port: z.number().int().min(1).max(65_535).default(22), username: UserName })
          .optional()
          .describe('reach the host through this jump host (ProxyJump), with the same credentials'),
      }),
    )
    .min(1)
    .max(1_000),
  auth: SshAuthInput,
  confirmHostKeys: z.array(Fingerprint).max(1_000).optional().describe('fingerprints the admin checked and trusts'),
  capabilities: z
    .object({
      exec: z.boolean().optional(),
      files: z.boolean().optional(),
      filesWrite: z.boolean().optional(),
      roots: z.array(z.string().min(1).max(4096)).max(64).optional(),
      terminal: z
        .boolean()
        .optional()
        .describe("allow interactive terminals (the agent's --terminal; off unless true)"),
    })
    .optional(),
  installDir: z
    .string()
    .regex(/^\/[^\0'\n]*$/, 'an absolute path')
    .max(4096)
    .optional(),
  masterUrl: z
    .string()
    .regex(/^wss?:\/\/\S+$/)
    .max(512)
    .optional(),
  reverseTunnel: z
    .object({ remotePort: z.number().int().min(1024).max(65_535).default(17443) })
    .optional()
    .describe("master behind NAT: the agent dials the host's loopback, carried over SSH to the master"),
});

export const AgentOverSsh = z.object({
  id: NodeId,
  auth: SshAuthInput,
  confirmHostKeys: z.array(Fingerprint).max(10).optional(),
});

export const StepName = z.enum([
  'connect',
  'detect',
  'upload',
  'tunnel',
  'configure',
  'service',
  'online',
  'stop',
  'remove',
  'verify',
  'revoke',
  'rollback',
]);

export const BootstrapJobView = z.object({
  id: z.string(),
  kind: z.enum(['install', 'upgrade', 'uninstall']),
  createdAt: z.number(),
  finishedAt: z.number().nullable(),
  hosts: z.array(
    z.object({
      host: z.string(),
      nodeId: z.string().nullable(),
      status: z.enum(['pending', 'running', 'done', 'failed']),
      step: StepName.nullable(),
      message: z.string().nullable(),
      output: z.string().nullable().describe('the remote output of the step that failed'),
      facts: z.string().nullable().describe('what detection found on the host'),
      hostKey: z
        .object({ fingerprint: z.string(), verdict: z.enum(['unknown', 'changed', 'revoked']) })
        .nullable()
        .describe('set when the host key stopped the connection: confirm an unknown one to continue'),
      steps: z.array(
        z.object({
          step: StepName,
          status: z.enum(['done', 'failed']),
          at: z.number(),
          message: z.string().nullable(),
        }),
      ),
    }),
  ),
});

export const BootstrapProgressEvent = z.object({
  jobId: z.string(),
  host: z.string(),
  nodeId: z.string().nullable(),
  status: z.enum(['pending', 'running', 'done', 'failed']),
  step: StepName.nullable(),
  message: z.string().nullable(),
});

export const SshConfigHostView = z.object({
  alias: z.string(),
  host: z.string(),
  port: z.number(),
  username: z.string().nullable(),
  identityFile: z.string().nullable(),
  proxyJump: z.string().nullable(),
});

export const KnownHostView = z.object({
  hosts: z.string(),
  keyType: z.string(),
  fingerprint: z.string(),
  line: z.number(),
});
export const TunnelView = z.object({
  nodeId: z.string(),
  host: z.string(),
  port: z.number(),
  username: z.string(),
  remotePort: z.number(),
  holder: z.string().nullable().describe('the instance that keeps it open (null: none has reported yet)'),
  up: z.boolean(),
  lastError: z.string().nullable(),
  updatedAt: z.number(),
});
export const RemoveKnownHost = z.object({
  host: HostName,
  port: z.coerce.number().int().min(1).max(65_535).default(22),
});
