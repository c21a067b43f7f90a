// Contract handlers for notification channels and the delivery log.
import type { Handlers } from '../../contract/contract.js';
import type { NotifyService } from './notify-service.js';

type NotifyHandlerNames =
  | 'listChannels'
  | 'createChannel'
  | 'getChannel'
  | 'updateChannel'
  | 'deleteChannel'
  | 'testChannel'
  | 'listDeliveries';

export function notifyHandlers(notify: NotifyService): Pick<Handlers, NotifyHandlerNames> {
  const channels = notify.channels;
  return {
    listChannels: () => channels.list(),
    createChannel: (spec) => channels.create(spec),
    getChannel: ({ id }) => channels.view(id),
    updateChannel: (patch) => channels.update(patch),
    deleteChannel: async ({ id }) => {
      await channels.delete(id);
      return { ok: true as const };
    },
    testChannel: ({ id }) => notify.sendTest(id),
    listDeliveries: (query) => notify.deliveries(query),
  };
}
