// Byte sizes as people write them ("1TB", "500 GiB"): a node's traffic quota label and the rule
// editor's quota field read the same way.

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  pib: 2 ** 50,
};

/** "1TB", "500 GiB", "1.5tb", "123456" → bytes; anything else → null (the node has no usable quota). */
export function parseBytes(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return null;
  const factor = BYTE_UNITS[(m[2] || 'b').toLowerCase()];
  if (factor === undefined) return null;
  const bytes = Number(m[1]) * factor;
  return Number.isFinite(bytes) && bytes > 0 ? Math.round(bytes) : null;
}
