// Download tickets: single use, short-lived, bounded, and kept only as hashes.
import { describe, expect, it } from 'vitest';
import { FleetError } from '../../main/contract/errors.js';
import { DownloadTickets, TICKET_TTL_MS } from '../../main/core/files/download-tickets.js';

describe('download tickets', () => {
  it('grants one file once, within a minute', () => {
    let now = 1_000;
    const tickets = new DownloadTickets(() => now);
    const a = tickets.issue('node-1', '/srv/a.log');
    expect(a.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.expiresAt).toBe(1_000 + TICKET_TTL_MS);
    expect(tickets.redeem(a.ticket)).toEqual({ nodeId: 'node-1', path: '/srv/a.log', transferId: a.transferId });
    expect(() => tickets.redeem(a.ticket)).toThrow(FleetError);
    const b = tickets.issue('node-1', '/srv/b.log');
    now += TICKET_TTL_MS;
    expect(() => tickets.redeem(b.ticket)).toThrow(/used up or expired/);
  });

  it('never holds the secret itself and keeps at most 256 unused tickets', () => {
    const tickets = new DownloadTickets();
    const first = tickets.issue('n', '/first');
    for (let i = 0; i < 256; i++) tickets.issue('n', `/f${i}`);
    expect(JSON.stringify([...(tickets as unknown as { tickets: Map<string, unknown> }).tickets])).not.toContain(
      first.ticket,
    );
    expect(() => tickets.redeem(first.ticket)).toThrow(/used up or expired/); // the oldest made room
  });
});
