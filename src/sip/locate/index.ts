export {
  type LocateFailureReason,
  type LocateOptions,
  type LocateRequest,
  type SipTarget,
  type SipTransportProtocol,
  defaultPort,
  locate,
  locateRequestFor,
} from './locate.js';
export { orderSrvRecords } from './order-srv-records.js';
export {
  type NaptrRecord,
  type Resolver,
  type SrvRecord,
  type SystemResolverOptions,
  createSystemResolver,
  isNotFoundError,
} from './resolver.js';
export { TargetBlacklist, type TargetBlacklistOptions } from './target-blacklist.js';
export { type TargetFailure, TargetIterator, failoverFor } from './target-iterator.js';
