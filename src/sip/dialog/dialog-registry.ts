import type { SipRequest, SipResponse } from '../message/types.js';
import { dialogIdOfIncomingRequest, dialogIdOfResponse, dialogKey, type Dialog, type InDialogVerdict } from './dialog.js';

/** Where a request received by the UA belongs (RFC 3261 §12.2.2). */
export type DialogDispatch =
  /** No To tag: not within a dialog (§12.2: "Requests that do not contain a To tag ... are outside a dialog"). */
  | { kind: 'outside' }
  /** A dialog of ours; `verdict` is its §12.2.2 CSeq check. */
  | { kind: 'dialog'; dialog: Dialog; verdict: InDialogVerdict }
  /**
   * §12.2.2: "If the UAS receives a request with a To tag that does not match any existing dialog,
   * ... the UAS ... SHOULD ... respond to the request with a 481 (Call/Transaction Does Not Exist)
   * status code". `respond` is false for an ACK, which is never answered (§17).
   */
  | { kind: 'unknown'; status: 481; respond: boolean };

/** The dialogs a UA holds, by dialog ID. A terminated dialog is removed on the next lookup or `prune()`. */
export class DialogRegistry {
  private readonly dialogs = new Map<string, Dialog>();

  add(dialog: Dialog): void {
    this.dialogs.set(dialog.key, dialog);
  }

  remove(dialog: Dialog): void {
    if (this.dialogs.get(dialog.key) === dialog) this.dialogs.delete(dialog.key);
  }

  get size(): number {
    this.prune();
    return this.dialogs.size;
  }

  /** The dialog a response to a request of ours belongs to (local tag = From tag, remote tag = To tag). */
  findForResponse(response: SipResponse): Dialog | undefined {
    const id = dialogIdOfResponse(response);
    return id === undefined ? undefined : this.live(dialogKey(id));
  }

  /** RFC 3261 §12.2.2: routes a received request to its dialog and applies the dialog's checks. */
  dispatch(request: SipRequest): DialogDispatch {
    if (!request.to.params.get('tag')) return { kind: 'outside' };
    const id = dialogIdOfIncomingRequest(request) ?? { callId: request.callId, localTag: request.to.params.get('tag') ?? '', remoteTag: '' };
    const dialog = this.live(dialogKey(id));
    if (dialog === undefined) return { kind: 'unknown', status: 481, respond: request.method !== 'ACK' };
    return { kind: 'dialog', dialog, verdict: dialog.receiveRequest(request) };
  }

  /** Drops terminated dialogs. */
  prune(): void {
    for (const [key, dialog] of this.dialogs) if (dialog.state === 'terminated') this.dialogs.delete(key);
  }

  private live(key: string): Dialog | undefined {
    const dialog = this.dialogs.get(key);
    if (dialog?.state === 'terminated') {
      this.dialogs.delete(key);
      return undefined;
    }
    return dialog;
  }
}
