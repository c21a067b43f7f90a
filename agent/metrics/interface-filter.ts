// Which network interfaces count toward a host's traffic. Loopback and virtual interfaces whose
// bytes also cross a physical NIC (bridges, veths, tunnels) would double count, so they are left
// out unless the admin includes them by name.
import { globToRegExp } from '../../common/glob.js';

export const DEFAULT_NET_EXCLUDE = [
  'lo',
  'veth*',
  'docker*',
  'br-*',
  'virbr*',
  'vnet*',
  'cni*',
  'flannel*',
  'cali*',
  'kube-*',
  'tun*',
  'tap*',
  'wg*',
  'tailscale*',
  'zt*',
  'ifb*',
  'dummy*',
];

export interface InterfaceFilterOptions {
  /** When non-empty, only these interfaces count (globs allowed); they win over exclusions. */
  include: string[];
  exclude: string[];
}

export function interfaceFilter({ include, exclude }: InterfaceFilterOptions): (name: string) => boolean {
  const included = include.map((p) => globToRegExp(p));
  const excluded = exclude.map((p) => globToRegExp(p));
  return (name) => {
    if (included.length > 0) return included.some((re) => re.test(name));
    return !excluded.some((re) => re.test(name));
  };
}
