// Single-use download tickets. A browser streams a download to disk only when it navigates to the
// file (its download manager writes as bytes arrive); a script reading the response would hold the
// file in memory. Navigation cannot send the admin header, so the admin first gets a ticket: a random
// secret in the URL, valid once and for 60 s, for exactly one file on one node. Only its hash is kept.
import { createHash, randomBytes } from 'node:crypto';
import { FleetError } from '../../contract/errors.js';

export const TICKET_TTL_MS = 60_000;
/** Unused tickets kept at most; the oldest is dropped first (a ticket is cheap to ask for again). */
const MAX_TICKETS = 256;

export interface TicketGrant {
  nodeId: string;
  path: string;
  transferId: string;
}

interface Stored extends TicketGrant {
  expiresAt: number;
}

const hashOf = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

export class DownloadTickets {
  private readonly tickets = new Map<string, Stored>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(nodeId: string, path: string): { ticket: string; transferId: string; expiresAt: number } {
    this.dropExpired();
    while (this.tickets.size >= MAX_TICKETS) this.tickets.delete(this.tickets.keys().next().value as string);
    const ticket = randomBytes(32).toString('base64url');
    const transferId = randomBytes(8).toString('hex');
    const expiresAt = this.now() + TICKET_TTL_MS;
    this.tickets.set(hashOf(ticket), { nodeId, path, transferId, expiresAt });
    return { ticket, transferId, expiresAt };
  }

  /** The grant of a valid ticket, which is used up; an unknown, used or expired one is refused. */
  redeem(ticket: string): TicketGrant {
    const key = hashOf(ticket);
    const stored = this.tickets.get(key);
    this.tickets.delete(key);
    if (!stored || stored.expiresAt <= this.now()) {
      throw new FleetError(
        'not_found',
        'This download link is used up or expired (links work once, for a minute): start the download again.',
      );
    }
    return { nodeId: stored.nodeId, path: stored.path, transferId: stored.transferId };
  }

  private dropExpired(): void {
    const now = this.now();
    for (const [key, stored] of this.tickets) if (stored.expiresAt <= now) this.tickets.delete(key);
  }
}
