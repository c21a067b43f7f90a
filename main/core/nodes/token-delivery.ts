// A rotated token reaches a connected agent over its own channel: the master sends `token`, the agent
// stores it durably and answers `token-ack`, and the rotate result says what happened. The plain token
// stays in this instance's memory only until the overlap ends, so an agent that was away (or died
// between receiving and storing it) is offered it again when it reconnects on the previous token.
import { randomBytes } from 'node:crypto';
import type { MasterMessage, TokenAckMessage } from '../../../agent/protocol.js';
import type { TokenDelivery } from '../../contract/token-schemas.js';
import type { Logger } from '../log.js';

export const DEFAULT_TOKEN_ACK_TIMEOUT_MS = 5_000;

interface Links {
  send(nodeId: string, message: MasterMessage): boolean;
}

interface Offer {
  id: string;
  token: string;
  /** The token hash the agent is connected with now; a reconnect on it gets the offer again. */
  previousHash: string | null;
  until: number;
  expiry: NodeJS.Timeout;
  answer: ((ack: TokenAckMessage) => void) | null;
}

export class TokenDeliveries {
  private readonly offers = new Map<string, Offer>();

  constructor(
    private readonly links: Links,
    private readonly log: Logger,
    private readonly ackTimeoutMs = DEFAULT_TOKEN_ACK_TIMEOUT_MS,
  ) {}

  /**
   * Sends the new token to the node's agent if it is connected here and waits (up to the ack timeout)
   * for it to be stored. The offer stands until the overlap ends (`overlapUntil`, or the ack timeout
   * without an overlap) for a reconnect on `previousHash`.
   */
  async offer(nodeId: string, token: string, previousHash: string | null, overlapUntil: number | null) {
    this.withdraw(nodeId);
    const until = overlapUntil ?? Date.now() + this.ackTimeoutMs;
    const id = `tok_${randomBytes(8).toString('hex')}`;
    const expiry = setTimeout(() => this.withdraw(nodeId, id), Math.max(0, until - Date.now()));
    expiry.unref();
    const offer: Offer = { id, token, previousHash, until, expiry, answer: null };
    this.offers.set(nodeId, offer);
    const acked = new Promise<TokenAckMessage | null>((resolve) => {
      offer.answer = resolve;
      setTimeout(() => resolve(null), this.ackTimeoutMs).unref();
    });
    if (!this.links.send(nodeId, { type: 'token', id, token })) return notConnected(overlapUntil);
    const ack = await acked;
    offer.answer = null;
    return describe(ack, overlapUntil);
  }

  /** The agent's answer; only the node the offer went to can answer it. */
  onAck(nodeId: string, ack: TokenAckMessage): void {
    const offer = this.offers.get(nodeId);
    if (!offer || offer.id !== ack.id) return;
    offer.answer?.(ack);
    if (ack.ok) this.withdraw(nodeId, ack.id);
    else this.log.warn({ nodeId, error: ack.error }, 'the agent could not store its rotated token');
  }

  /** A connection on the token the rotation retired gets the new one again (it may not have kept it). */
  onConnected(nodeId: string, tokenHash: string): void {
    const offer = this.offers.get(nodeId);
    if (!offer || offer.previousHash !== tokenHash || offer.until <= Date.now()) return;
    this.links.send(nodeId, { type: 'token', id: offer.id, token: offer.token });
  }

  /** Forgets a node's offer (or only this one), so the plain token does not outlive its use. */
  private withdraw(nodeId: string, id?: string): void {
    const offer = this.offers.get(nodeId);
    if (!offer || (id !== undefined && offer.id !== id)) return;
    clearTimeout(offer.expiry);
    this.offers.delete(nodeId);
  }

  /** Offers still standing (for tests and health figures). */
  get size(): number {
    return this.offers.size;
  }
}

const when = (at: number | null) => (at === null ? 'now' : `at ${new Date(at).toISOString()}`);

function notConnected(overlapUntil: number | null): TokenDelivery {
  return {
    status: 'not-connected',
    storedIn: null,
    message:
      `The agent is not connected to this master. It is offered the new token if it reconnects before the ` +
      `old one stops working (${when(overlapUntil)}); otherwise give it the new token by hand.`,
  };
}

function describe(ack: TokenAckMessage | null, overlapUntil: number | null): TokenDelivery {
  if (ack === null) {
    return {
      status: 'unacknowledged',
      storedIn: null,
      message:
        'The agent did not confirm that it stored the new token. It is offered again if it reconnects on ' +
        `the old token before that stops working (${when(overlapUntil)}).`,
    };
  }
  if (!ack.ok) {
    return {
      status: 'failed',
      storedIn: null,
      message: `The agent received the new token but could not store it (${ack.error ?? 'no reason given'}); it uses it until it restarts. Give it the new token by hand.`,
    };
  }
  const place = ack.storedIn === 'token-file' ? 'its token file' : 'its state directory';
  return { status: 'stored', storedIn: ack.storedIn, message: `The agent stored the new token in ${place}.` };
}
