// What happened to a rotated token on its way to the node's agent (see nodes/token-delivery.ts).
import { z } from 'zod';

export const TokenDelivery = z.object({
  status: z
    .enum(['stored', 'failed', 'unacknowledged', 'not-connected'])
    .describe(
      'stored: the agent wrote the new token to disk and acknowledged; failed: it could not store it; ' +
        'unacknowledged: no answer in time (it is offered again when the agent reconnects during the overlap); ' +
        'not-connected: the agent is not connected to this master, so it must be given the new token by hand ' +
        'before the overlap ends',
    ),
  storedIn: z.enum(['token-file', 'state-dir']).nullable().describe('where the agent stored it'),
  message: z.string().describe('the same in words, for the admin'),
});
export type TokenDelivery = z.infer<typeof TokenDelivery>;
