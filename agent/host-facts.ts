// Facts about the host the agent runs on, sent in hello.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { HostFacts } from './protocol.js';

function readTrimmed(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

function osName(): string {
  const release = readTrimmed('/etc/os-release');
  const pretty = release ? /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1] : undefined;
  return pretty || `${os.type()} ${os.release()}`;
}

/** Linux exposes a boot id; elsewhere the boot time (to the minute) identifies the boot. */
export function bootId(): string {
  const linux = readTrimmed('/proc/sys/kernel/random/boot_id');
  if (linux) return linux;
  const bootedAt = Math.round((Date.now() / 1000 - os.uptime()) / 60);
  return `boot-${bootedAt}`;
}

export function collectHostFacts(): HostFacts {
  const clip = (s: string, n: number) => s.slice(0, n);
  return {
    hostname: clip(os.hostname(), 256),
    os: clip(osName(), 256),
    platform: clip(process.platform, 32),
    arch: clip(os.arch(), 32),
    kernel: clip(os.release(), 256),
    bootId: clip(bootId(), 128),
  };
}
