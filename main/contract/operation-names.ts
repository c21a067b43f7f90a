// The operation names alone, dependency-free, for the preload bridge (a test keeps it equal to
// the contract's keys).
export const operationNames = [
  'health',
  'masterInfo',
  'listInstances',
  'listNodes',
  'createNode',
  'getNode',
  'updateNode',
  'deleteNode',
  'rotateNodeToken',
  'revokeNode',
  'fleetLive',
  'liveMetrics',
  'metricSeries',
  'nodeTransfer',
  'trafficReport',
  'nodeUptime',
  'enqueueCommands',
  'listCommands',
  'getCommand',
  'cancelCommand',
  'listTasks',
  'createTask',
  'getTask',
  'updateTask',
  'deleteTask',
  'runTask',
  'listTaskRuns',
  'getRun',
  'listFiles',
  'statFile',
  'previewFile',
  'makeDirectory',
  'renameFile',
  'deleteFile',
] as const;

export const IPC_INVOKE_CHANNEL = 'fleetdeck:invoke';
export const IPC_EVENT_CHANNEL = 'fleetdeck:event';
export const IPC_STREAMS_CHANNEL = 'fleetdeck:streams';
