// The FleetDeck release this agent and master belong to (a test keeps it equal to package.json).
export const VERSION = '0.1.0';
