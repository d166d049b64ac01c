/**
 * <Dial> in the document of an outbound-api call: the <Dial> adapters' executor (createDialExecutor)
 * with the outbound-api call as the parent (its SID, From and To) and the answered callee's MediaLeg
 * as the caller's media the dialled leg is bridged with. The same wiring (dialer, child-call store,
 * callbacks) as inbound calls use.
 */
import type { RegionConfig, TrunkConfig } from '../../../config/index.js';
import type { Clock, Logger } from '../../../kernel/index.js';
import type { ChildCallRegistry } from '../../dial/index.js';
import type { OtherExecutors } from '../../document-runner.js';
import type { NotificationSink } from '../../notifications.js';
import { createDialExecutor, createDialMedia, createDialRecording, type DialWiring, type RecordingServices } from '../dial/index.js';
import { StoreNotificationSink } from '../store-sinks.js';
import type { Store } from '../../../store/index.js';
import type { OutboundApiCallLegs } from './outbound-api-call.js';

export interface OutboundDialExecutorsOptions {
  wiring: DialWiring;
  store: Store;
  regions: readonly RegionConfig[];
  trunks?: readonly TrunkConfig[];
  clock: Clock;
  logger: Logger;
  notifications?: NotificationSink;
  children?: ChildCallRegistry;
  recordingServices?: RecordingServices;
}

export function outboundDialExecutors(options: OutboundDialExecutorsOptions): (legs: OutboundApiCallLegs) => OtherExecutors {
  const logger = options.logger.child({ component: 'dial' });
  const notifications = options.notifications ?? new StoreNotificationSink(options.store, logger);
  const trunk = options.trunks?.find((candidate) => candidate.name === 'default') ?? options.trunks?.[0];
  return (legs) => {
    const dial = createDialExecutor({
      parent: () => ({ accountSid: legs.accountSid, sid: legs.callSid, from: legs.from, to: legs.to }),
      dialer: options.wiring.dialer,
      media: createDialMedia({ caller: legs.media, clock: options.clock, logger }),
      callbacks: options.wiring.store,
      callEvents: options.wiring.store.callEvents,
      notifications,
      regions: options.regions,
      logger,
      ...(trunk === undefined ? {} : { trunk }),
      ...(options.recordingServices === undefined
        ? {}
        : { recording: createDialRecording({ caller: legs.media, services: options.recordingServices, clock: options.clock, logger }) }),
      ...(options.children === undefined ? {} : { children: options.children }),
    });
    return { dial };
  };
}
