/**
 * The SIP message model (RFC 3261 §7, §19, §20, §25). Parsing fills it, serialising reads it, and every
 * layer above (transport, transaction, dialog, ua) works on it. The headers every layer needs are typed
 * fields and are the single source of truth for those headers; every other header stays in `headers`
 * as raw text, in order.
 */

/**
 * Parameters of a URI, Via or name-addr: names lower-cased, `null` for a flag parameter (`;lr`), in
 * order. What a Map offers for them, so that a Map serves; the message layer makes ParamLists
 * (param-list.ts), which take a fraction of a Map's memory.
 */
export interface Params extends Iterable<[name: string, value: string | null]> {
  readonly size: number;
  get(name: string): string | null | undefined;
  has(name: string): boolean;
  set(name: string, value: string | null): this;
  delete(name: string): boolean;
  /** In order, without an entry array per parameter (what serialising uses). */
  forEach(callback: (value: string | null, name: string) => void): void;
}

/**
 * sip:, sips: (RFC 3261 §19.1) or tel: (RFC 3966, carried opaquely in `user`). Any other absoluteURI
 * (RFC 3261 §25.1; RFC 4475 §3.3.2–3.3.4 require parsing one) is carried the same way: lower-cased scheme,
 * the rest as written in `user`, empty `host`; a UAS answers it 416 (RFC 3261 §8.2.2.1).
 */
export interface SipUri {
  scheme: 'sip' | 'sips' | 'tel' | (string & {});
  /** Userinfo user part, percent-decoded. */
  user?: string;
  /** Userinfo password, percent-decoded (deprecated by RFC 3261 but legal). */
  password?: string;
  /** Host name, IPv4 address, or IPv6 address without brackets. Lower-cased host names. */
  host: string;
  port?: number;
  params: Params;
  /** `?name=value&…` headers, names as written, values percent-decoded, in order. */
  headers: Array<[name: string, value: string]>;
}

/** name-addr or addr-spec with header parameters (From, To, Contact, Route, Record-Route, …). */
export interface NameAddr {
  displayName?: string;
  uri: SipUri;
  params: Params;
}

/** One Via entry (RFC 3261 §20.42, RFC 3581 rport/received). */
export interface Via {
  protocol: string; // "SIP/2.0"
  transport: string; // upper-case: UDP, TCP, TLS, SCTP, WS, WSS
  host: string; // IPv6 without brackets
  port?: number;
  params: Params; // branch, received, rport (null until filled), maddr, ttl
}

export interface CSeq {
  seq: number;
  method: string;
}

/** A contact list entry or `*` (RFC 3261 §20.10). */
export type Contact = NameAddr | '*';

/** Headers that are not typed fields, in wire order, with canonical (long-form, conventional case) names. */
export interface HeaderField {
  name: string;
  value: string;
}

interface SipMessageBase {
  /** Via entries, topmost first. */
  via: Via[];
  from: NameAddr;
  to: NameAddr;
  callId: string;
  cseq: CSeq;
  maxForwards?: number;
  contact?: Contact[];
  route?: NameAddr[];
  recordRoute?: NameAddr[];
  contentType?: string;
  /** Every other header, in order; a comma-separated multi-value header is one field per value. */
  headers: HeaderField[];
  body: Buffer;
}

export interface SipRequest extends SipMessageBase {
  kind: 'request';
  method: string;
  uri: SipUri;
}

export interface SipResponse extends SipMessageBase {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;
