// The gateway certificate and its rotation (core/gateway/certificates.ts).
import { z } from 'zod';

const Pin = z.string().describe('sha256:… of a gateway certificate');

export const TlsStatus = z.object({
  served: Pin.describe('the certificate the gateway serves now'),
  pins: z.array(Pin).describe('what agents are handed to pin now (two during a rotation)'),
  certificates: z.array(
    z.object({
      fingerprint: Pin,
      state: z.enum(['next', 'current', 'previous', 'retired']),
      createdAt: z.number(),
      switchedAt: z.number().nullable(),
      retireAt: z.number().nullable().describe('previous: its key is deleted then at the latest'),
    }),
  ),
  confirmed: z.number().describe('agents that confirmed they pin the served certificate'),
  unconfirmed: z.array(z.string()).describe('names of agents (nodes that connected before) that have not (yet)'),
});
export type TlsStatus = z.infer<typeof TlsStatus>;

export const RotateTls = z.object({
  graceSec: z
    .number()
    .int()
    .min(0)
    .max(365 * 86_400)
    .default(7 * 86_400)
    .describe('longest the previous key is kept after the switch (it goes earlier once every agent confirmed)'),
  announceTimeoutSec: z
    .number()
    .int()
    .min(1)
    .max(3_600)
    .default(30)
    .describe('longest to wait for connected agents to confirm the next pin before switching'),
});
