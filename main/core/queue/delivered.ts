// Which commands this instance handed to which connected node. An agent frame that names a command
// (live output) is acted on only for its own node's commands: an agent must never be able to speak
// for another node's work. Bounded by the in-flight window of the connected nodes; a node's entries
// go when it disconnects, a command's when it finishes.
export class DeliveredCommands {
  private readonly byNode = new Map<string, Set<string>>();

  add(nodeId: string, commandId: string): void {
    let ids = this.byNode.get(nodeId);
    if (!ids) {
      ids = new Set();
      this.byNode.set(nodeId, ids);
    }
    ids.add(commandId);
  }

  has(nodeId: string, commandId: string): boolean {
    return this.byNode.get(nodeId)?.has(commandId) ?? false;
  }

  finished(nodeId: string, commandId: string): void {
    const ids = this.byNode.get(nodeId);
    if (!ids) return;
    ids.delete(commandId);
    if (ids.size === 0) this.byNode.delete(nodeId);
  }

  nodeGone(nodeId: string): void {
    this.byNode.delete(nodeId);
  }
}
