// An agent's answer to a file RPC is input like any other. The wire protocol carries `result` as
// unknown (its shape depends on the method), so before a client sees it, it is checked against the
// contract's output schema for the operation: an agent of another version, a buggy one or a hostile
// one cannot hand the UI a shape it does not expect (a size that is a string, an entry without a
// name), and fields the contract does not name are dropped.
import { contract, type OperationName, type OutputOf } from '../../contract/contract.js';
import { describeZodError } from '../../contract/dispatch.js';
import { FleetError } from '../../contract/errors.js';

/** The operations whose output is what the agent answered. */
export type AgentReplyOperation =
  | 'listFiles'
  | 'statFile'
  | 'previewFile'
  | 'makeDirectory'
  | 'renameFile'
  | 'topProcesses';

export function checkedReply<N extends AgentReplyOperation & OperationName>(
  operation: N,
  nodeId: string,
  reply: unknown,
): OutputOf<N> {
  const parsed = contract[operation].output.safeParse(reply);
  if (parsed.success) return parsed.data as OutputOf<N>;
  throw new FleetError(
    'bad_agent_reply',
    `The agent of node ${nodeId} answered ${operation} with something FleetDeck does not accept ` +
      `(${describeZodError(parsed.error)}); is it running the master's agent version?`,
  );
}
