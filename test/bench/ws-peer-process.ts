// The ceiling for file transfer: a raw `wss` client in its own process, in the agent's role (same
// zero mask). It swallows what the server sends and reports the count, or sends what it is asked to.
import WebSocket from 'ws';

const socket = new WebSocket(process.argv[2] as string, {
  rejectUnauthorized: false,
  perMessageDeflate: false,
  maxPayload: 4 * 1024 * 1024,
  generateMask: (mask: Buffer) => mask.fill(0),
});
let received = 0;
socket.on('message', (data, isBinary) => {
  if (isBinary) {
    received += (data as Buffer).length;
    return;
  }
  const request = JSON.parse(data.toString()) as { send?: number; report?: boolean };
  if (request.report) socket.send(JSON.stringify({ received }));
  if (request.send) {
    const chunk = Buffer.alloc(256 * 1024, 7);
    let sent = 0;
    const pump = () => {
      while (sent < (request.send as number)) {
        if (socket.bufferedAmount > 16 * chunk.length) return void setTimeout(pump, 1);
        socket.send(chunk, { binary: true });
        sent += chunk.length;
      }
    };
    pump();
  }
});
socket.on('close', () => process.exit(0));
