import type { SipRequest, SipResponse } from '../message/types.js';
import { Dialog } from './dialog.js';

/**
 * The dialogs one INVITE of ours creates. RFC 3261 §12.1.2 / §13.2.2.4: when the INVITE forks, each
 * branch that answers with a To tag of its own creates a dialog of its own — several early dialogs from
 * the provisional responses, and "each 2xx ... establishes a different dialog" — all sharing the Call-ID
 * and local tag, told apart by the remote tag.
 */
export class UacDialogSet {
  readonly invite: SipRequest;
  private readonly secure: boolean;
  private readonly byRemoteTag = new Map<string, Dialog>();

  constructor(invite: SipRequest, options: { secure?: boolean } = {}) {
    if (invite.method !== 'INVITE') throw new TypeError('a dialog set belongs to an INVITE');
    this.invite = invite;
    this.secure = options.secure ?? false;
  }

  /**
   * A response to the INVITE (every one the INVITE client transaction passes up, RFC 6026 Accepted-state
   * 2xx included). Returns the dialog it belongs to, created when new; undefined when it belongs to none.
   */
  receiveResponse(response: SipResponse): Dialog | undefined {
    if (response.status >= 300) {
      // RFC 3261 §12.3: "Independent of the method, if a request outside of a dialog generates a non-2xx
      // final response, any early dialogs created through provisional responses to that request are
      // terminated."
      this.terminateEarly();
      return undefined;
    }
    const remoteTag = response.to.params.get('tag');
    // RFC 3261 §12.1: only "responses ... with a To tag" (and not 100, §12.1: "a 100 (Trying) ... does not
    // establish a dialog") create a dialog.
    if (!remoteTag || response.status === 100) return undefined;
    const existing = this.byRemoteTag.get(remoteTag);
    if (existing !== undefined) {
      // RFC 3261 §13.2.2.4: "If the dialog identifier in the 2xx response matches the dialog identifier of
      // an existing dialog, the dialog MUST be transitioned to the "confirmed" state, and the route set for
      // the dialog MUST be recomputed based on the 2xx response".
      existing.receiveResponse(this.invite, response);
      return existing;
    }
    // "Otherwise, a new dialog in the "confirmed" state MUST be constructed using the procedures of Section
    // 12.1.2." — and a new early dialog for a provisional response with a new To tag.
    const dialog = Dialog.fromUacResponse(this.invite, response, { secure: this.secure });
    if (dialog === undefined) return undefined;
    this.byRemoteTag.set(remoteTag, dialog);
    return dialog;
  }

  /**
   * RFC 3261 §13.2.2.4: "The UAC core considers the INVITE transaction completed 64*T1 seconds after the
   * reception of the first 2xx response." By then no other branch will answer: dialogs still early are
   * terminated.
   */
  inviteCompleted(): void {
    this.terminateEarly();
  }

  get(remoteTag: string): Dialog | undefined {
    return this.byRemoteTag.get(remoteTag);
  }

  /** Every dialog, in the order they were created. */
  dialogs(): Dialog[] {
    return [...this.byRemoteTag.values()];
  }

  /** The early dialogs still alive. */
  early(): Dialog[] {
    return this.dialogs().filter((dialog) => dialog.state === 'early');
  }

  /** The confirmed dialogs (more than one when forks answered 2xx; the TU ACKs each and may BYE the rest). */
  confirmed(): Dialog[] {
    return this.dialogs().filter((dialog) => dialog.state === 'confirmed');
  }

  private terminateEarly(): void {
    for (const dialog of this.byRemoteTag.values()) if (dialog.state === 'early') dialog.terminate();
  }
}
