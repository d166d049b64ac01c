export { BRANCH_MAGIC_COOKIE, generateBranch, isRfc3261Branch } from './branch.js';
export { buildNon2xxAck } from './build-ack.js';
export { buildCancel } from './build-cancel.js';
export type { ClientTransactionTarget } from './client-transaction-base.js';
export { InviteClientTransaction, type InviteClientTransactionState } from './invite-client-transaction.js';
export { NonInviteClientTransaction, type NonInviteClientTransactionState } from './non-invite-client-transaction.js';
export { InviteServerTransaction, type InviteServerTransactionState } from './invite-server-transaction.js';
export { NonInviteServerTransaction, type NonInviteServerTransactionState } from './non-invite-server-transaction.js';
export { defaultTimerSettings, resolveTimerSettings, TimerValues, type TimerSettings } from './timer-values.js';
export type { TransactionContext } from './transaction.js';
export {
  TransactionManager,
  type ClientTransaction,
  type TransactionLayerStats,
  type TransactionManagerOptions,
} from './transaction-manager.js';
export type {
  ClientTransactionUser,
  ServerTransaction,
  ServerTransactionUser,
  SyntheticCause,
  TransactionLayerUser,
} from './transaction-user.js';
