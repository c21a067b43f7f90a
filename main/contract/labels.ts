// Label matching, said once: how a "role=web, env=prod" text reads and what "has these labels" means,
// for the renderer's node form and run filter and the core's target selector. Pure, so the renderer
// imports it as it is.

export type LabelPair = [key: string, value: string];

/**
 * "role=web, env=prod" → [["role", "web"], ["env", "prod"]]: comma-separated pairs, key and value
 * trimmed, the value everything after the first "=" ("" without one). Empty pairs are skipped.
 */
export function labelPairs(text: string): LabelPair[] {
  return text
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const [key = '', ...value] = pair.split('=');
      return [key.trim(), value.join('=').trim()];
    });
}

/** The labels a "key=value, …" text sets (the node form); a pair without a key is dropped, a later key wins. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, value] of labelPairs(text)) if (key) labels[key] = value;
  return labels;
}

/** Whether `labels` include every pair (no pairs: every node). */
export function hasLabels(labels: Record<string, string>, pairs: readonly LabelPair[]): boolean {
  return pairs.every(([key, value]) => labels[key] === value);
}

/** The run form's label filter: a text with at least one pair, each of which the node has. */
export function matchesLabelFilter(text: string, labels: Record<string, string>): boolean {
  const pairs = labelPairs(text);
  return pairs.length > 0 && hasLabels(labels, pairs);
}
