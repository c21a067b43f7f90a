// Alert instance keys (`rule|node`, `rule|node|mount`), made once per rule and node. The hot loops
// (every sample's live rules, the offline check over the whole fleet twice a second) look states up
// by them; a key built anew each time is a fresh string to allocate and hash, and at 10,000 nodes
// that was most of what evaluating a healthy fleet cost.

export const keyOf = (ruleId: string, nodeId: string, part: string | null) =>
  part === null ? `${ruleId}|${nodeId}` : `${ruleId}|${nodeId}|${part}`;

export class InstanceKeys {
  private readonly byRule = new Map<string, Map<string, string>>();

  /** The node's own instance of the rule (no mount). */
  of(ruleId: string, nodeId: string): string {
    let keys = this.byRule.get(ruleId);
    if (!keys) {
      keys = new Map();
      this.byRule.set(ruleId, keys);
    }
    let key = keys.get(nodeId);
    if (key === undefined) {
      key = keyOf(ruleId, nodeId, null);
      keys.set(nodeId, key);
    }
    return key;
  }

  forgetNode(nodeId: string): void {
    for (const keys of this.byRule.values()) keys.delete(nodeId);
  }

  /** Rules were reloaded: a deleted rule's keys go (the rest are made again as they are used). */
  clear(): void {
    this.byRule.clear();
  }
}
