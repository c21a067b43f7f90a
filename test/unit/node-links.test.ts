// The one router from the core to nodes: the local node's id goes in-process, every other id to the
// gateway, and nothing is reachable before both are attached. (The integration suites cross it with
// real agents and the real local node; this pins the routing rules themselves.)
import { describe, expect, it } from 'vitest';
import type { MasterMessage } from '../../agent/protocol.js';
import { type FileLinks, type LocalLink, NodeLinks } from '../../main/core/gateway/links.js';
import { LOCAL_NODE_ID } from '../../main/core/local/local-node.js';

const cancel = (id: string): MasterMessage => ({ type: 'cancel', id });

/** A gateway that holds a connection for every id it is asked about, the local node's included. */
function recordingGateway() {
  const sent: Array<[string, string]> = [];
  const gateway: FileLinks = {
    isConnected: () => true,
    send: (nodeId, message) => sent.push([nodeId, message.type]) > 0,
    sendBinary: (nodeId) => sent.push([nodeId, 'binary']) > 0,
    bufferedAmount: () => 123,
  };
  return { gateway, sent };
}

function recordingLocal() {
  const sent: string[] = [];
  const local: LocalLink = {
    send: (message) => sent.push(message.type) > 0,
    sendBinary: () => sent.push('binary') > 0,
  };
  return { local, sent };
}

describe('NodeLinks', () => {
  it('sends the local node in-process and every other node through the gateway', () => {
    const { gateway, sent: viaGateway } = recordingGateway();
    const { local, sent: inProcess } = recordingLocal();
    const links = new NodeLinks();
    links.attach(gateway, local);
    expect(links.send(LOCAL_NODE_ID, cancel('a'))).toBe(true);
    expect(links.sendBinary(LOCAL_NODE_ID, Buffer.alloc(1))).toBe(true);
    expect(links.send('n1', cancel('b'))).toBe(true);
    expect(links.sendBinary('n1', Buffer.alloc(1))).toBe(true);
    expect(inProcess).toEqual(['cancel', 'binary']);
    expect(viaGateway).toEqual([
      ['n1', 'cancel'],
      ['n1', 'binary'],
    ]);
    expect([links.bufferedAmount(LOCAL_NODE_ID), links.bufferedAmount('n1')]).toEqual([0, 123]);
    expect([links.isConnected(LOCAL_NODE_ID), links.isConnected('n1')]).toEqual([true, true]);
  });

  it("without a local node (shared mode) the local node's id reaches nothing, not the gateway", () => {
    const { gateway, sent } = recordingGateway();
    const links = new NodeLinks();
    links.attach(gateway, null);
    expect(links.isConnected(LOCAL_NODE_ID)).toBe(false);
    expect(links.send(LOCAL_NODE_ID, cancel('a'))).toBe(false);
    expect(links.sendBinary(LOCAL_NODE_ID, Buffer.alloc(1))).toBe(false);
    expect(links.bufferedAmount(LOCAL_NODE_ID)).toBe(0);
    expect(sent).toEqual([]);
  });

  it('reaches no node before the gateway and local node are attached', () => {
    const links = new NodeLinks();
    expect([links.isConnected(LOCAL_NODE_ID), links.isConnected('n1')]).toEqual([false, false]);
    expect([links.send(LOCAL_NODE_ID, cancel('a')), links.send('n1', cancel('b'))]).toEqual([false, false]);
    expect(links.bufferedAmount('n1')).toBe(0);
  });
});
