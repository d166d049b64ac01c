export {
  Dialog,
  credentialsOf,
  dialogIdOfIncomingRequest,
  dialogIdOfResponse,
  dialogKey,
  type DialogId,
  type DialogInit,
  type DialogRequestOptions,
  type DialogState,
  type InDialogVerdict,
} from './dialog.js';
export { DialogRegistry, type DialogDispatch } from './dialog-registry.js';
export { Invite2xxRetransmitter, type Invite2xxRetransmitterOptions } from './invite-2xx-retransmitter.js';
export { UacDialogSet } from './uac-dialog-set.js';
export * from './session-timer.js';
