// A raw `ws` echo server in its own process: the ceiling for round trips through a socket.
import { WebSocketServer } from 'ws';

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
server.on('listening', () => {
  const address = server.address();
  process.stdout.write(`port ${address && typeof address === 'object' ? address.port : 0}\n`);
});
server.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
