// Draws the app icon (resources/icon.png, 512×512) without image tools: a dark rounded square with three
// green "server" bars. electron-builder derives the Windows and macOS icons from it.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const size = 512;
const pixels = Buffer.alloc(size * (size * 4 + 1));
const inRoundedSquare = (x, y) => {
  const r = 96;
  const cx = Math.min(Math.max(x, r), size - 1 - r);
  const cy = Math.min(Math.max(y, r), size - 1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const inBar = (x, y) => [150, 236, 322].some((top) => y >= top && y < top + 56 && x >= 110 && x < 402);
const inLight = (x, y) => [150, 236, 322].some((top) => (x - 360) ** 2 + (y - (top + 28)) ** 2 <= 12 * 12);
for (let y = 0; y < size; y++) {
  const row = y * (size * 4 + 1);
  pixels[row] = 0;
  for (let x = 0; x < size; x++) {
    const o = row + 1 + x * 4;
    let rgba = [0, 0, 0, 0];
    if (inRoundedSquare(x, y)) rgba = [24, 32, 44, 255];
    if (inBar(x, y)) rgba = [46, 160, 67, 255];
    if (inLight(x, y)) rgba = [230, 255, 235, 255];
    pixels.set(rgba, o);
  }
}
const crcTable = Array.from({ length: 256 }, (_v, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};
const header = Buffer.alloc(13);
header.writeUInt32BE(size, 0);
header.writeUInt32BE(size, 4);
header[8] = 8;
header[9] = 6;
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(pixels)),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(new URL('../resources/icon.png', import.meta.url), png);
console.log('resources/icon.png written');
