// The last case of an exhaustive switch over a message union. A message type added to the protocol but
// not handled leaves the switch's remaining type non-`never`, so the call fails to compile until a case
// handles it. At run time frames are validated against the same union first, so it is never reached;
// if it were, the message is refused loudly rather than dropped in silence.
export function unhandled(message: never, dispatcher: string): never {
  const type = (message as { type?: unknown }).type;
  throw new Error(`${dispatcher}: no handler for message type ${JSON.stringify(type)}`);
}
