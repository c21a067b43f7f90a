// What the agent gateway serves besides WebSocket upgrades, for one-line installs: the install script,
// the agent files and their checksums, and the exchange of an enrollment code for a node token. All of
// it is public (a host has no credential yet); the code is the credential, so wrong codes count toward
// the gateway's per-address failure limit, and every answer closes its connection.
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ENROLL_PATH, EnrollReply, EnrollRequest, MAX_ENROLL_BODY_BYTES } from '../../../agent/protocol.js';
import { EnrollmentCodeText } from '../../contract/enroll-schemas.js';
import { errorStatus, FleetError } from '../../contract/errors.js';
import type { FailureLimiter } from '../gateway/failure-limiter.js';
import type { Logger } from '../log.js';
import { type AgentArtifacts, isArtifactName } from './artifacts.js';
import type { EnrollmentCodes } from './codes.js';
import { type InstallValues, renderInstallScript } from './install-script.js';

export interface InstallRouteParts {
  codes: EnrollmentCodes;
  artifacts: AgentArtifacts;
  values: () => Promise<InstallValues>;
  limiter: FailureLimiter;
  log: Logger;
  /** A read-only console instance creates no nodes. */
  readOnly: boolean;
}

const BODY_DEADLINE_MS = 10_000;

export class InstallRoutes {
  constructor(private readonly parts: InstallRouteParts) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('connection', 'close');
    this.route(req, res).catch((error: unknown) => {
      if (!(error instanceof FleetError)) this.parts.log.error({ err: error }, 'install route failed');
      const fleet = error instanceof FleetError ? error : new FleetError('internal', 'The master could not answer.');
      if (res.headersSent) return void res.destroy();
      sendJson(res, errorStatus[fleet.code], { error: { code: fleet.code, message: fleet.message } });
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/install.sh') {
      const script = renderInstallScript(await this.parts.values());
      res.writeHead(200, { 'content-type': 'text/x-shellscript; charset=utf-8', 'cache-control': 'no-store' });
      return void res.end(script);
    }
    if (method === 'GET' && path === '/agent/SHA256SUMS') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      return void res.end(await this.parts.artifacts.checksums());
    }
    if (method === 'GET' && path.startsWith('/agent/')) return this.sendArtifact(path.slice('/agent/'.length), res);
    if (method === 'POST' && path === ENROLL_PATH) return this.enroll(req, res);
    res.writeHead(method === 'GET' || method === 'POST' ? 404 : 405, { 'content-type': 'text/plain' });
    res.end('FleetDeck agent gateway: WebSocket, /install.sh, /agent/<file> and POST /enroll only\n');
  }

  private async sendArtifact(name: string, res: ServerResponse): Promise<void> {
    const artifact = isArtifactName(name) ? await this.parts.artifacts.get(name) : null;
    if (!artifact) throw new FleetError('not_found', `This master serves no agent file ${name}.`);
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': artifact.size,
      'x-checksum-sha256': artifact.sha256,
    });
    const stream = createReadStream(artifact.path);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  private async enroll(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const address = req.socket.remoteAddress ?? 'unknown';
    if (this.parts.limiter.isBlocked(address)) {
      throw new FleetError('rate_limited', 'Too many wrong enrollment codes from this address: wait a minute.');
    }
    if (this.parts.readOnly) {
      throw new FleetError('forbidden', 'This master is a read-only console: enroll against a full instance.');
    }
    const request = EnrollRequest.safeParse(await readBody(req));
    const code = request.success ? EnrollmentCodeText.safeParse(request.data.code) : null;
    if (!request.success || !code?.success) {
      this.parts.limiter.recordFailure(address);
      const issue = request.success ? code?.error?.issues[0] : request.error.issues[0];
      throw new FleetError('bad_request', `The enrollment request is not valid: ${issue?.message ?? 'unreadable'}.`);
    }
    try {
      const redeemed = await this.parts.codes.redeem(code.data, {
        hostname: request.data.hostname,
        remoteAddress: address,
      });
      this.parts.log.info({ nodeId: redeemed.nodeId, address }, 'node enrolled with a code');
      sendJson(res, 201, EnrollReply.parse(redeemed));
    } catch (error) {
      if (error instanceof FleetError && (error.code === 'unauthorized' || error.code === 'conflict')) {
        this.parts.limiter.recordFailure(address);
        this.parts.log.warn({ address, reason: error.message }, 'enrollment refused');
      }
      throw error;
    }
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** The JSON body, at most MAX_ENROLL_BODY_BYTES, within BODY_DEADLINE_MS. */
function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      req.destroy();
      reject(new FleetError('request_timeout', 'The enrollment request took too long to arrive.'));
    }, BODY_DEADLINE_MS);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ENROLL_BODY_BYTES) {
        clearTimeout(timer);
        req.destroy();
        reject(new FleetError('payload_too_large', 'The enrollment request is too large.'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new FleetError('bad_request', 'The enrollment request is not JSON.'));
      }
    });
  });
}
