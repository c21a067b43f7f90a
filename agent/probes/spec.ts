// What a probe is on the wire and in the API: its kind and target, and one result. Shared by the agent
// (which runs probes) and the master (which stores them, sends each vantage point its set and keeps the
// results), so both bound every field the same way.
import { z } from 'zod';

/** Probes one agent runs at most; the master never assigns more, the agent refuses the rest. */
export const MAX_PROBES_PER_AGENT = 200;
/** Probes a cluster holds at most. */
export const MAX_PROBES = 5_000;
export const MIN_INTERVAL_SEC = 10;
export const MAX_INTERVAL_SEC = 86_400;
export const MAX_TIMEOUT_MS = 60_000;
/** An HTTP answer's body is read up to this for a keyword or a pattern; the rest is not downloaded. */
export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_REDIRECTS = 5;
/** Results in one `probe-results` frame. */
export const MAX_RESULTS_PER_FRAME = 500;

export const ProbeId = z.string().regex(/^prb_[0-9a-z]{8,32}$/, 'a probe id is prb_ and 8 to 32 letters or digits');

/** A host name or an IP address (no scheme, no port, no spaces). No node:net here: the renderer imports this. */
const DnsName = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9])?)*\.?$/,
    'a host is a DNS name or an IP address',
  );
const Host = z.union([z.ipv4(), z.ipv6(), DnsName]);
const Port = z.number().int().min(1).max(65_535);
const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/, 'not an HTTP header name');
// No CR/LF (header injection) and a bounded size.
const HeaderValue = z
  .string()
  .max(1024)
  .regex(/^[^\r\n\0]*$/, 'a header value is one line');

/**
 * What every read of a probe shows for a header value (values are secrets, sealed at rest). Sent back
 * in an update it means "unchanged": the stored value of the header with that name is kept.
 */
export const HEADER_VALUE_MASK = '••••';

/** A pattern that compiles; matched with a time limit on the agent (a bad pattern cannot stall it). */
const Pattern = z
  .string()
  .min(1)
  .max(256)
  .refine(
    (p) => {
      try {
        new RegExp(p);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'not a valid regular expression' },
  );

export const HttpTarget = z
  .object({
    kind: z.literal('http'),
    url: z
      .string()
      .max(2048)
      .url()
      .refine((u) => /^https?:\/\//i.test(u), { message: 'an http:// or https:// URL' }),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS']).default('GET'),
    headers: z
      .array(z.object({ name: HeaderName, value: HeaderValue }).strict())
      // 8 × 1 KiB + URL + body ≈ 14 KiB a probe, so a full set stays far below the 4 MiB frame.
      .max(8)
      .default([])
      .describe(
        `request headers, e.g. Authorization. Values are secret: sealed at rest and shown as "${HEADER_VALUE_MASK}" by every read; ` +
          `a value of "${HEADER_VALUE_MASK}" in an update keeps the stored value of the header with that name`,
      ),
    /** Up to 4 KiB sent with POST/PUT. */
    body: z.string().max(4096).optional(),
    /** Accepted statuses ("200", "2xx"); default any 2xx or 3xx that is not followed. */
    expectStatus: z
      .array(z.string().regex(/^[1-5]([0-9]{2}|xx)$/, 'a status is like 200 or 2xx'))
      .max(16)
      .default([]),
    /** The body must contain this text... */
    keyword: z.string().min(1).max(256).optional(),
    /** ...or match this pattern (first 64 KiB of the body). */
    pattern: Pattern.optional(),
    /** true: the keyword or pattern must NOT be found. */
    invert: z.boolean().default(false),
    followRedirects: z.boolean().default(true),
    /** https: an invalid chain (expired, self-signed, wrong name) fails the probe unless this is on. */
    ignoreTlsErrors: z.boolean().default(false),
  })
  .strict();
export const TcpTarget = z.object({ kind: z.literal('tcp'), host: Host, port: Port }).strict();
export const PingTarget = z.object({ kind: z.literal('ping'), host: Host }).strict();
export const DnsRecordType = z.enum(['A', 'AAAA', 'CNAME', 'MX', 'NS', 'TXT', 'SOA', 'SRV', 'PTR', 'CAA']);
export const DnsTarget = z
  .object({
    kind: z.literal('dns'),
    name: Host,
    recordType: DnsRecordType.default('A'),
    /** The server asked ("1.1.1.1", "127.0.0.1:5353"); default the host's resolvers. */
    server: z
      .string()
      .max(64)
      .regex(
        /^(\[[0-9a-fA-F:]+\]|[0-9.]+|[0-9a-fA-F:]+)(:[0-9]{1,5})?$/,
        'a server is an IP address with an optional port',
      )
      .optional(),
    /** One of the answers must equal this (case-insensitive; MX as "10 mail.example.com"). */
    expect: z.string().min(1).max(512).optional(),
  })
  .strict();

export const ProbeTarget = z.discriminatedUnion('kind', [HttpTarget, TcpTarget, PingTarget, DnsTarget]);
export type ProbeTarget = z.infer<typeof ProbeTarget>;
export type ProbeKind = ProbeTarget['kind'];

/** What a vantage point is told to run: the target and how often. */
export const ProbeAssignment = z
  .object({
    id: ProbeId,
    target: ProbeTarget,
    intervalSec: z.number().int().min(MIN_INTERVAL_SEC).max(MAX_INTERVAL_SEC),
    timeoutMs: z.number().int().min(100).max(MAX_TIMEOUT_MS),
  })
  .strict();
export type ProbeAssignment = z.infer<typeof ProbeAssignment>;

/** One run of a probe from one vantage point. */
export const ProbeResult = z
  .object({
    id: ProbeId,
    at: z
      .number()
      .int()
      .min(0)
      .max(Date.UTC(9999, 11, 31)),
    ok: z.boolean(),
    /** Milliseconds to the answer (connect for TCP, round trip for ping); null when there was none. */
    latencyMs: z
      .number()
      .min(0)
      .max(MAX_TIMEOUT_MS * 2)
      .nullable(),
    /** Why it failed, in a line. */
    error: z.string().max(512).nullable(),
    /** https: whole days until the peer certificate expires (negative: expired). */
    certDaysLeft: z.number().int().min(-100_000).max(100_000).optional(),
    /** https: whether the chain verified against the host's trust store and the name matched. */
    certValid: z.boolean().optional(),
  })
  .strict();
export type ProbeResult = z.infer<typeof ProbeResult>;
