import { randomInt } from 'node:crypto';
import type { Contact, HeaderField, NameAddr, SipRequest, SipResponse, SipUri } from '../message/types.js';
import { ParamList } from '../message/param-list.js';
import { noBytes, ownedString } from '../../kernel/index.js';
import { copyNameAddr, copyUri, ownedNameAddr, ownedUri } from '../message/index.js';

/** RFC 3261 §12: "A dialog is identified at each UA with a dialog ID, which consists of a Call-ID value, a local tag and a remote tag." */
export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

/** The one string a dialog is filed under (tags are compared case-sensitively, Call-ID too: §19.3). */
export function dialogKey(id: DialogId): string {
  return `${id.callId}\u0000${id.localTag}\u0000${id.remoteTag}`;
}

/** The dialog a request received in a dialog belongs to: local tag = To tag, remote tag = From tag (§12.2.2). */
export function dialogIdOfIncomingRequest(request: SipRequest): DialogId | undefined {
  const localTag = request.to.params.get('tag');
  const remoteTag = request.from.params.get('tag');
  if (!localTag || !remoteTag) return undefined;
  return { callId: request.callId, localTag, remoteTag };
}

/** The dialog a response to our request belongs to: local tag = From tag, remote tag = To tag (§12.1.2). */
export function dialogIdOfResponse(response: SipResponse): DialogId | undefined {
  const localTag = response.from.params.get('tag');
  const remoteTag = response.to.params.get('tag');
  if (!localTag || !remoteTag) return undefined;
  return { callId: response.callId, localTag, remoteTag };
}

/**
 * The dialog's life. RFC 3261 §12.1: "A dialog established by a non-final response to a request is in the
 * "early" state and it is called an early dialog." A 2xx confirms it; BYE, a non-2xx final answer to the
 * INVITE (§12.3), 481/408 to an in-dialog request (§12.2.1.2) end it.
 *
 * ```
 *    1xx with To tag            2xx
 *   ─────────────────> early ─────────> confirmed
 *                        │                  │
 *       non-2xx final    │                  │ BYE, 481, 408
 *       to the INVITE    V                  V
 *                    terminated <───────────┘
 *   2xx without a prior 1xx creates the dialog confirmed.
 * ```
 */
export type DialogState = 'early' | 'confirmed' | 'terminated';

/** Methods whose request and 2xx replace the remote target (RFC 3261 §12.2: re-INVITE; RFC 3311 §5.1: UPDATE). */
const targetRefreshMethods: ReadonlySet<string> = new Set(['INVITE', 'UPDATE']);

export interface DialogRequestOptions {
  headers?: HeaderField[];
  body?: Buffer;
  contentType?: string;
}

export interface DialogInit {
  id: DialogId;
  state: 'early' | 'confirmed';
  localUri: NameAddr;
  remoteUri: NameAddr;
  remoteTarget: SipUri;
  routeSet: SipUri[];
  localSeq: number | undefined;
  remoteSeq: number | undefined;
  secure: boolean;
  /** The Contact this UA put in the request or response that created the dialog (sent again on target refreshes). */
  localContact: NameAddr | undefined;
  /** Which side of the request that created the dialog this UA was; the UAC generated the Call-ID. */
  role: 'uac' | 'uas';
}

/** What `receiveRequest` decided about a request received in the dialog (RFC 3261 §12.2.2). */
export type InDialogVerdict =
  | { accept: true }
  | { accept: false; status: 500 | 491; reason: string; headers: HeaderField[] };

/**
 * RFC 3261 §12 dialog state: ID, local and remote sequence numbers, local and remote URIs, remote target,
 * secure flag and route set, with the UAC (§12.1.2) and UAS (§12.1.1) constructions, building requests
 * within the dialog (§12.2.1.1, loose and strict routing), the 2xx ACK (§13.2.2.4), and the checks on
 * requests received in it (§12.2.2). Pure data: it sends nothing and keeps no timer.
 */
export class Dialog {
  readonly id: DialogId;
  readonly localUri: NameAddr;
  readonly remoteUri: NameAddr;
  readonly secure: boolean;
  readonly role: 'uac' | 'uas';
  localContact: NameAddr | undefined;
  private current: DialogState;
  /** CSeq of our re-INVITE still waiting for its final response (RFC 3261 §14.1). */
  private localInvitePending: number | undefined;
  /** CSeq of the peer's re-INVITE we have not answered with a final response yet (§14.2). */
  private remoteInvitePending: number | undefined;
  /** The ACK of the 2xx to our INVITE with this CSeq, kept to resend for retransmitted 2xx. */
  private lastAck: SipRequest | undefined;
  private target: SipUri;
  private routes: SipUri[];
  private localSequence: number | undefined;
  private remoteSequence: number | undefined;

  /**
   * The dialog keeps its own copies, their strings flattened (ownedUri): state read from a received
   * message must not keep that message's text alive for the life of the call and of its ACK.
   */
  constructor(init: DialogInit) {
    this.id = { callId: ownedString(init.id.callId), localTag: ownedString(init.id.localTag), remoteTag: ownedString(init.id.remoteTag) };
    this.current = init.state;
    this.localUri = ownedNameAddr(init.localUri);
    this.remoteUri = ownedNameAddr(init.remoteUri);
    this.target = ownedUri(init.remoteTarget);
    this.routes = init.routeSet.map(ownedUri);
    this.localSequence = init.localSeq;
    this.remoteSequence = init.remoteSeq;
    this.secure = init.secure;
    this.role = init.role;
    this.localContact = init.localContact === undefined ? undefined : ownedNameAddr(init.localContact);
  }

  /**
   * RFC 3261 §12.1.2 UAC Behavior: the dialog a 1xx (with a To tag) or 2xx to our `request` creates.
   * Returns undefined when the response cannot create one (no To tag, a 100, a final non-2xx).
   */
  static fromUacResponse(request: SipRequest, response: SipResponse, options: { secure?: boolean } = {}): Dialog | undefined {
    const id = dialogIdOfResponse(response);
    if (id === undefined || response.status <= 100 || response.status >= 300) return undefined;
    const target = firstContact(response.contact);
    const dialog = new Dialog({
      id,
      state: response.status < 200 ? 'early' : 'confirmed',
      // "The local URI MUST be set to the URI in the From field, and the remote URI MUST be set to the URI
      // in the To field."
      localUri: withoutTag(request.from),
      remoteUri: withoutTag(response.to),
      // "The remote target MUST be set to the URI from the Contact header field of the response." (A
      // response without one breaks §12.1.1's MUST; the Request-URI is the best target left.)
      remoteTarget: target ?? request.uri,
      // "The route set MUST be set to the list of URIs in the Record-Route header field from the response,
      // taken in reverse order and preserving all URI parameters. If no Record-Route header field is
      // present in the response, the route set MUST be set to the empty set."
      routeSet: (response.recordRoute ?? []).map((entry) => entry.uri).reverse(),
      // "The local sequence number MUST be set to the value of the sequence number in the CSeq header field
      // of the request. The remote sequence number MUST be empty"
      localSeq: request.cseq.seq,
      remoteSeq: undefined,
      // "If the request was sent over TLS, and the Request-URI contained a SIPS URI, the "secure" flag is
      // set to TRUE."
      secure: (options.secure ?? false) && request.uri.scheme === 'sips',
      localContact: firstNameAddr(request.contact),
      role: 'uac',
    });
    // An early dialog's INVITE is still in progress (§14.1 counts it: no re-INVITE before its answer).
    if (dialog.current === 'early' && request.method === 'INVITE') dialog.localInvitePending = request.cseq.seq;
    return dialog;
  }

  /**
   * RFC 3261 §12.1.1 UAS behavior: the dialog our `response` (1xx or 2xx, with our To tag) to `request`
   * creates. `secure`: the request arrived over TLS.
   */
  static fromUasResponse(request: SipRequest, response: SipResponse, options: { secure?: boolean } = {}): Dialog {
    const localTag = response.to.params.get('tag');
    const remoteTag = request.from.params.get('tag');
    if (!localTag) throw new TypeError('a response that creates a dialog carries the UAS\'s To tag (RFC 3261 §12.1.1)');
    if (response.status <= 100 || response.status >= 300) throw new RangeError(`a ${response.status} does not create a dialog`);
    const target = firstContact(request.contact);
    return new Dialog({
      // "The remote tag MUST be set to the value of the tag in the From header field of the request. The
      // local tag MUST be set to the value of the To tag in the response" — an RFC 2543 UAC may send no
      // From tag, which is then null (§12.1.1).
      id: { callId: request.callId, localTag, remoteTag: remoteTag ?? '' },
      state: response.status < 200 ? 'early' : 'confirmed',
      // "The remote URI MUST be set to the URI in the From field, and the local URI MUST be set to the URI
      // in the To field."
      localUri: withoutTag(request.to),
      remoteUri: withoutTag(request.from),
      // "The remote target MUST be set to the URI from the Contact header field of the request."
      remoteTarget: target ?? request.uri,
      // "The route set MUST be set to the list of URIs in the Record-Route header field from the request,
      // taken in order and preserving all URI parameters."
      routeSet: (request.recordRoute ?? []).map((entry) => entry.uri),
      // "The remote sequence number MUST be set to the value of the sequence number in the CSeq header
      // field of the request. The local sequence number MUST be empty."
      localSeq: undefined,
      remoteSeq: request.cseq.seq,
      // "If the request arrived over TLS, and the Request-URI contained a SIPS URI, the "secure" flag is
      // set to TRUE."
      secure: (options.secure ?? false) && request.uri.scheme === 'sips',
      localContact: firstNameAddr(response.contact),
      role: 'uas',
    });
  }

  get state(): DialogState {
    return this.current;
  }

  get remoteTarget(): SipUri {
    return copyUri(this.target);
  }

  get routeSet(): SipUri[] {
    return this.routes.map(copyUri);
  }

  get localSeq(): number | undefined {
    return this.localSequence;
  }

  get remoteSeq(): number | undefined {
    return this.remoteSequence;
  }

  get key(): string {
    return dialogKey(this.id);
  }

  /**
   * UAC: a response to the INVITE that created the dialog, or to a request sent in it (`request`).
   * - A 1xx or 2xx to the initial INVITE updates the remote target from its Contact; the 2xx confirms the
   *   dialog and, per RFC 3261 §13.2.2.4, "the route set for the dialog MUST be recomputed based on the
   *   2xx response using the procedures of Section 12.2.1.2" (Record-Route reversed).
   * - §12.2.1.2: "When a UAC receives a 2xx response to a target refresh request, it MUST replace the
   *   dialog's remote target URI with the URI from the Contact header field in that response, if present."
   * - §12.2.1.2: "If the response for a request within a dialog is a 481 (Call/Transaction Does Not Exist)
   *   or a 408 (Request Timeout), the UAC SHOULD terminate the dialog."
   * - §12.3: a non-2xx final response to the INVITE ends the early dialog.
   * - §15.1.1: a final response to our BYE ends the dialog. "If the response for the BYE is a 481
   *   (Call/Transaction Does Not Exist) or a 408 (Request Timeout) or no response at all is received for
   *   the BYE ..., the UAC MUST consider the session and the dialog terminated"; a 2xx ends it as well,
   *   and so does any other final response, after which nothing in the dialog is left to do.
   */
  receiveResponse(request: SipRequest, response: SipResponse): void {
    if (this.current === 'terminated') return;
    const contact = firstContact(response.contact);
    const status = response.status;
    if (request.method === 'INVITE' && status >= 200 && this.localInvitePending === request.cseq.seq) this.localInvitePending = undefined;
    if (this.current === 'early' && request.method === 'INVITE' && status > 100 && status < 300) {
      if (contact !== undefined) this.target = ownedUri(contact);
      if (status >= 200) {
        this.current = 'confirmed';
        this.routes = (response.recordRoute ?? []).map((entry) => ownedUri(entry.uri)).reverse();
      }
      return;
    }
    if (this.current === 'early' && request.method === 'INVITE' && status >= 300) {
      // RFC 3261 §12.3: "if a request outside of a dialog generates a non-2xx final response, any early
      // dialogs created through provisional responses to that request are terminated."
      this.current = 'terminated';
      return;
    }
    if (status === 481 || status === 408) {
      this.current = 'terminated';
      return;
    }
    if (request.method === 'BYE' && status >= 200) {
      this.current = 'terminated';
      return;
    }
    if (status >= 200 && status < 300 && targetRefreshMethods.has(request.method) && contact !== undefined) {
      this.target = ownedUri(contact);
    }
  }

  /**
   * RFC 3261 §12.2.2: checks a request received in this dialog and updates the remote sequence number and,
   * for a target refresh, the remote target; §14.2: refuses a re-INVITE that crosses another INVITE (500
   * with Retry-After, or 491). An accepted re-INVITE stays pending until the TU calls `inviteAnswered()`
   * with its final response. A BYE ends the dialog (§15.1.2).
   */
  receiveRequest(request: SipRequest): InDialogVerdict {
    if (request.method === 'INVITE' && (this.remoteSequence === undefined || request.cseq.seq > this.remoteSequence)) {
      if (this.remoteInvitePending !== undefined) {
        // RFC 3261 §14.2: "A UAS that receives a second INVITE before it sends the final response to a
        // first INVITE with a lower CSeq sequence number on the same dialog MUST return a 500 (Server
        // Internal Error) response to the second INVITE and MUST include a Retry-After header field with
        // a randomly chosen value of between 0 and 10 seconds."
        return { accept: false, status: 500, reason: 'Previous INVITE Pending', headers: [{ name: 'Retry-After', value: String(randomInt(0, 11)) }] };
      }
      if (this.localInvitePending !== undefined) {
        // §14.2: "A UAS that receives an INVITE on a dialog while an INVITE it had sent on that dialog is
        // in progress MUST return a 491 (Request Pending) response to the received INVITE."
        return { accept: false, status: 491, reason: 'Request Pending', headers: [] };
      }
    }
    // ACK and CANCEL carry the CSeq number of the INVITE they belong to (§13.2.2.4, §9.1) and do not take
    // part in the ordering.
    if (request.method !== 'ACK' && request.method !== 'CANCEL') {
      const seq = request.cseq.seq;
      if (this.remoteSequence === undefined) {
        // "If the remote sequence number is empty, it MUST be set to the value of the sequence number in
        // the CSeq header field value in the request."
        this.remoteSequence = seq;
      } else if (seq < this.remoteSequence) {
        // "If the remote sequence number was not empty, but the sequence number of the request is lower
        // than the remote sequence number, the request is out of order and MUST be rejected with a 500
        // (Server Internal Error) response."
        return { accept: false, status: 500, reason: 'CSeq out of order', headers: [] };
      } else {
        // "If the remote sequence number was not empty, and the sequence number of the request is greater
        // than the remote sequence number, the request is in order." "The UAS MUST then set the remote
        // sequence number to the value of the sequence number in the CSeq header field value in the request."
        this.remoteSequence = seq;
      }
    }
    if (targetRefreshMethods.has(request.method)) {
      // "When a UAS receives a target refresh request, it MUST replace the dialog's remote target URI with
      // the URI from the Contact header field in that request, if present."
      const contact = firstContact(request.contact);
      if (contact !== undefined) this.target = ownedUri(contact);
    }
    // A re-INVITE (not the INVITE that created the dialog, whose CSeq is already the remote one) is pending
    // until the TU answers it (inviteAnswered).
    if (request.method === 'INVITE' && this.remoteInvitePending === undefined) this.remoteInvitePending = request.cseq.seq;
    if (request.method === 'BYE') this.current = 'terminated';
    return { accept: true };
  }

  /** UAS: our final response to the peer's (re-)INVITE went out; §14.2's "before it sends the final response" ends. */
  inviteAnswered(): void {
    this.remoteInvitePending = undefined;
  }

  /**
   * RFC 3261 §14.1: after a 491 to our re-INVITE, how long to wait before trying again. "If the UAC is the
   * owner of the Call-ID of the dialog ID (meaning it generated the value), T has a randomly chosen value
   * between 2.1 and 4 seconds in units of 10 ms. If the UAC is not the owner of the Call-ID of the dialog
   * ID, T has a randomly chosen value of between 0 and 2 seconds in units of 10 ms." In milliseconds.
   */
  glareRetryDelay(): number {
    return this.role === 'uac' ? randomInt(210, 401) * 10 : randomInt(0, 201) * 10;
  }

  /** UAS: our 2xx to the INVITE confirmed the early dialog (RFC 3261 §12.1.1, §13.3.1.4). */
  confirm(): void {
    if (this.current === 'early') this.current = 'confirmed';
  }

  /** Ends the dialog (BYE sent or received, §12.3 non-2xx final answer, session timer expiry). */
  terminate(): void {
    this.current = 'terminated';
  }

  /**
   * RFC 3261 §12.2.1.1 Generating the Request: a request within the dialog (BYE, re-INVITE, UPDATE, INFO,
   * OPTIONS, …). Takes the next local CSeq. The top Via (with a new branch) is left for the transaction
   * layer to add. Not for ACK (use `createAck`) nor CANCEL (built from the request it cancels, §9.1).
   */
  createRequest(method: string, options: DialogRequestOptions = {}): SipRequest {
    if (method === 'ACK' || method === 'CANCEL') throw new TypeError(`${method} is not built with createRequest`);
    if (this.current === 'terminated') throw new TypeError('the dialog is terminated');
    // RFC 3261 §14.1: "a UAC MUST NOT initiate a new INVITE transaction within a dialog while another
    // INVITE transaction is in progress in either direction."
    if (method === 'INVITE' && (this.localInvitePending !== undefined || this.remoteInvitePending !== undefined)) {
      throw new TypeError('an INVITE transaction is already in progress in this dialog (RFC 3261 §14.1)');
    }
    // "Requests within a dialog MUST contain strictly monotonically increasing and contiguous CSeq sequence
    // numbers (increasing-by-one) in each direction (excepting ACK and CANCEL of course, whose numbers
    // equal the requests being acknowledged or cancelled)." "If the local sequence number is empty, an
    // initial value MUST be chosen using the guidelines of Section 8.1.1.5" ("MUST be expressible as a
    // 32-bit unsigned integer and MUST be less than 2**31").
    this.localSequence = this.localSequence === undefined ? randomInt(1, 2 ** 31 - 1) : this.localSequence + 1;
    const request = this.baseRequest(method, this.localSequence, options);
    if (method === 'INVITE') this.localInvitePending = this.localSequence;
    // §12.2.1.1: "A UAC SHOULD include a Contact header field in any target refresh requests within a
    // dialog, and unless there is a need to change it, the URI SHOULD be the same as used in previous
    // requests within the dialog."
    if (targetRefreshMethods.has(method) && this.localContact !== undefined) request.contact = [copyNameAddr(this.localContact)];
    return request;
  }

  /**
   * RFC 3261 §13.2.2.4: the ACK for a 2xx to `invite` (the initial INVITE or a re-INVITE of this dialog).
   * "The header fields of the ACK are constructed in the same way as for any request sent within a dialog
   * (see Section 12) with the exception of the CSeq and the header fields related to authentication. The
   * sequence number of the CSeq header field MUST be the same as the INVITE being acknowledged, but the
   * CSeq method MUST be ACK. The ACK MUST contain the same credentials as the INVITE." Its Via branch is
   * new: the ACK of a 2xx is a transaction of its own.
   */
  createAck(invite: SipRequest, options: DialogRequestOptions = {}): SipRequest {
    if (invite.method !== 'INVITE') throw new TypeError('an ACK acknowledges an INVITE');
    const ack = this.baseRequest('ACK', invite.cseq.seq, options);
    for (const field of credentialsOf(invite)) ack.headers.push({ ...field });
    return ack;
  }

  /**
   * The ACK for a 2xx to `invite`, built once and the same object on every later call for that INVITE, so
   * that each retransmitted 2xx the INVITE transaction passes up (RFC 6026 §7.2) is acknowledged with the
   * very ACK already sent (same branch, same body): RFC 3261 §13.2.2.4, "The UAC core MUST generate an ACK
   * request for each 2xx received from the transaction layer." `options` count the first time only.
   */
  ackFor(invite: SipRequest, options: DialogRequestOptions = {}): SipRequest {
    if (this.lastAck !== undefined && this.lastAck.cseq.seq === invite.cseq.seq) return this.lastAck;
    this.lastAck = this.createAck(invite, options);
    return this.lastAck;
  }

  private baseRequest(method: string, seq: number, options: DialogRequestOptions): SipRequest {
    const to = copyNameAddr(this.remoteUri);
    // "The URI in the To field of the request MUST be set to the remote URI from the dialog state. The tag
    // in the To header field of the request MUST be set to the remote tag of the dialog ID."
    if (this.id.remoteTag !== '') to.params.set('tag', this.id.remoteTag);
    const from = copyNameAddr(this.localUri);
    // "The From URI of the request MUST be set to the local URI from the dialog state. The tag in the From
    // header field of the request MUST be set to the local tag of the dialog ID."
    from.params.set('tag', this.id.localTag);
    const request: SipRequest = {
      kind: 'request',
      method,
      uri: copyUri(this.target),
      via: [],
      from,
      to,
      // "The Call-ID of the request MUST be set to the Call-ID of the dialog."
      callId: this.id.callId,
      cseq: { seq, method },
      maxForwards: 70,
      headers: (options.headers ?? []).map((field) => ({ ...field })),
      body: options.body ?? noBytes,
    };
    if (options.contentType !== undefined) request.contentType = options.contentType;
    this.applyRouteSet(request);
    return request;
  }

  /** RFC 3261 §12.2.1.1: Request-URI and Route from the remote target and the route set. */
  private applyRouteSet(request: SipRequest): void {
    const [first, ...rest] = this.routes;
    if (first === undefined) {
      // "If the route set is empty, the UAC MUST place the remote target URI into the Request-URI. The UAC
      // MUST NOT add a Route header field to the request."
      request.uri = copyUri(this.target);
      return;
    }
    if (first.params.has('lr')) {
      // "If the route set is not empty, and the first URI in the route set contains the lr parameter (see
      // Section 19.1.1), the UAC MUST place the remote target URI into the Request-URI and MUST include a
      // Route header field containing the route set values in order, including all parameters."
      request.uri = copyUri(this.target);
      request.route = this.routes.map(asRoute);
      return;
    }
    // "If the route set is not empty, and its first URI does not contain the lr parameter, the UAC MUST
    // place the first URI from the route set into the Request-URI, stripping any parameters that are not
    // allowed in a Request-URI. The UAC MUST add a Route header field containing the remainder of the route
    // set values in order, including all parameters. The UAC MUST then place the remote target URI into
    // the Route header field as the last value." (§19.1.1 Table 1: `method` and headers are not allowed in
    // a Request-URI.)
    const uri = copyUri(first);
    uri.params.delete('method');
    uri.headers = [];
    request.uri = uri;
    request.route = [...rest, this.target].map(asRoute);
  }
}

/** RFC 3261 §13.2.2.4: the header fields an ACK repeats from its INVITE ("the same credentials"). */
export function credentialsOf(invite: SipRequest): HeaderField[] {
  return invite.headers.filter((field) => {
    const name = field.name.toLowerCase();
    return name === 'authorization' || name === 'proxy-authorization';
  });
}

function asRoute(uri: SipUri): NameAddr {
  return { uri: copyUri(uri), params: new ParamList() };
}

function withoutTag(value: NameAddr): NameAddr {
  const copy = copyNameAddr(value);
  copy.params.delete('tag');
  return copy;
}

/** The first Contact, not copied: what reads it keeps its own copy (the constructor, target refreshes). */
function firstNameAddr(contacts: Contact[] | undefined): NameAddr | undefined {
  return contacts?.find((contact): contact is NameAddr => contact !== '*');
}

function firstContact(contacts: Contact[] | undefined): SipUri | undefined {
  return firstNameAddr(contacts)?.uri;
}
