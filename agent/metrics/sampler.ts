// Picks the sampler for this platform.
import type { MetricSample } from '../protocol.js';
import { type InterfaceFilterOptions, interfaceFilter } from './interface-filter.js';
import { LinuxSampler } from './linux-sampler.js';
import { PortableSampler } from './portable-sampler.js';

export interface Sampler {
  sample(): Promise<MetricSample>;
}

export function createSampler(net: InterfaceFilterOptions): Sampler {
  return process.platform === 'linux' ? new LinuxSampler(interfaceFilter(net)) : new PortableSampler();
}
