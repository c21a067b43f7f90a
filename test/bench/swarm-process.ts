// Runs a simulated fleet in its own process (so it uses the other core): `tsx swarm-process.ts <config.json>`.
// Prints "ready" once every agent is welcomed; exits when stdin closes.
import { readFileSync } from 'node:fs';
import { Swarm } from './swarm.js';

const config = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as {
  url: string;
  tokens: string[];
  delayMs?: number;
  metrics?: { intervalMs: number; perFrame: number };
  reconnect?: boolean;
};
const swarm = new Swarm({
  url: config.url,
  tokens: config.tokens,
  reply: () => ({ delayMs: config.delayMs }),
  metrics: config.metrics,
  reconnect: config.reconnect,
});
// Progress on stderr: a large swarm takes minutes to connect, and a stall must show where it stopped.
const progress = setInterval(() => {
  const welcomed = swarm.agents.filter((a) => a.welcomed).length;
  process.stderr.write(`swarm: ${welcomed}/${swarm.agents.length} connected\n`);
}, 15_000);
await swarm.connect(200);
clearInterval(progress);
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', () => {
  swarm.close();
  process.exit(0);
});
