// GET /install.sh: resources/install/install.sh with this master's values filled in — where it is,
// the certificate its agents pin, and the SHA-256 of each agent file it serves — plus the one-line
// commands that fetch it. Every value put into the script is checked against a shape that cannot
// break out of its single quotes.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { VERSION } from '../../../agent/version.js';
import type { TlsIdentity } from '../gateway/tls.js';
import { resourcePath } from '../paths.js';
import type { AgentArtifacts } from './artifacts.js';

export interface InstallValues {
  /** The gateway's https:// (or http://) base the script downloads from. */
  base: string;
  /** The wss:// (or ws://) URL the agent dials. */
  master: string;
  fingerprint: string;
  /** curl's --pinnedpubkey form of the gateway key: sha256//<base64 of the SPKI's SHA-256>. */
  pin: string;
  version: string;
  shaBundle: string;
  shaX64: string;
  shaArm64: string;
}

/** Nothing a value may hold can end its single-quoted string or start an expansion. */
const SAFE = /^[A-Za-z0-9._~:/?#[\]@!$&()*+,;=%-]*$/;

/** curl --pinnedpubkey value for the gateway's certificate. */
export function spkiPin(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256//${createHash('sha256').update(spki).digest('base64')}`;
}

/** wss://host:port → https://host:port (the gateway serves both on one port). */
export function gatewayBase(agentUrl: string): string {
  return agentUrl.replace(/^ws(s?):\/\//, 'http$1://').replace(/\/+$/, '');
}

export async function installValues(
  agentUrl: string,
  tls: TlsIdentity | null,
  artifacts: AgentArtifacts,
): Promise<InstallValues> {
  const sha = async (name: Parameters<AgentArtifacts['get']>[0]) => (await artifacts.get(name))?.sha256 ?? '';
  return {
    base: gatewayBase(agentUrl),
    master: agentUrl,
    fingerprint: tls?.fingerprint ?? '',
    pin: tls ? spkiPin(tls.cert) : '',
    version: VERSION,
    shaBundle: await sha('fleetdeck-agent.cjs'),
    shaX64: await sha('fleetdeck-agent-linux-x64'),
    shaArm64: await sha('fleetdeck-agent-linux-arm64'),
  };
}

let template: string | null = null;

export function renderInstallScript(values: InstallValues): string {
  template ??= readFileSync(resourcePath('install/install.sh'), 'utf8');
  const byName: Record<string, string> = {
    BASE: values.base,
    MASTER: values.master,
    FINGERPRINT: values.fingerprint,
    PIN: values.pin,
    VERSION: values.version,
    SHA_BUNDLE: values.shaBundle,
    SHA_X64: values.shaX64,
    SHA_ARM64: values.shaArm64,
  };
  return template.replace(/@@(\w+)@@/g, (_, name: string) => {
    const value = byName[name];
    if (value === undefined) throw new Error(`install.sh names an unknown value @@${name}@@`);
    if (!SAFE.test(value)) throw new Error(`the install script's ${name} has characters it cannot carry: ${value}`);
    return value;
  });
}

/** The lines an admin pastes on a host: curl pins the key; wget checks the script's hash instead. */
export function installCommands(values: InstallValues, code: string) {
  const script = renderInstallScript(values);
  const scriptSha256 = createHash('sha256').update(script).digest('hex');
  const scriptUrl = `${values.base}/install.sh`;
  const curlTls = values.pin ? `--insecure --pinnedpubkey '${values.pin}' ` : '';
  const wgetTls = values.pin ? '--no-check-certificate ' : '';
  return {
    curl: `curl -fsSL ${curlTls}${scriptUrl} | sh -s -- --code ${code}`,
    wget: `f=$(mktemp) && wget -qO "$f" ${wgetTls}${scriptUrl} && echo "${scriptSha256}  $f" | sha256sum -c --quiet && sh "$f" --code ${code}; rm -f "$f"`,
    scriptUrl,
    scriptSha256,
  };
}
