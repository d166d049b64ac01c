import type { NameAddr, SipUri, Via } from './types.js';
import { ParamList } from './param-list.js';

/**
 * Deep copies of the typed header fields, so that a message built from another (a response, ACK,
 * CANCEL, an in-dialog request) never shares a mutable Map or array with it: the transport fills the top Via of
 * the message it sends, and that must not change the request it was copied from.
 */
export function copyUri(uri: SipUri): SipUri {
  return { ...uri, params: new ParamList(uri.params), headers: uri.headers.map(([name, value]) => [name, value]) };
}

export function copyNameAddr(value: NameAddr): NameAddr {
  return { ...value, uri: copyUri(value.uri), params: new ParamList(value.params) };
}

export function copyVia(via: Via): Via {
  return { ...via, params: new ParamList(via.params) };
}
