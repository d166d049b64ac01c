import { ownedString } from '../../kernel/index.js';
import type { NameAddr, Params, SipUri, Via } from './types.js';
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

/**
 * Deep copies for state kept long after the message it came from (a dialog's URIs and tags): every
 * string is flattened (ownedString), so that none is a slice of the received message's text, which
 * would keep that whole text alive as long as the copy.
 */
export function ownedUri(uri: SipUri): SipUri {
  const copy: SipUri = {
    scheme: ownedString(uri.scheme),
    host: ownedString(uri.host),
    params: ownedParams(uri.params),
    headers: uri.headers.map(([name, value]) => [ownedString(name), ownedString(value)]),
  };
  if (uri.user !== undefined) copy.user = ownedString(uri.user);
  if (uri.password !== undefined) copy.password = ownedString(uri.password);
  if (uri.port !== undefined) copy.port = uri.port;
  return copy;
}

export function ownedNameAddr(value: NameAddr): NameAddr {
  const copy: NameAddr = { uri: ownedUri(value.uri), params: ownedParams(value.params) };
  if (value.displayName !== undefined) copy.displayName = ownedString(value.displayName);
  return copy;
}

function ownedParams(params: Params): ParamList {
  const copy = new ParamList();
  params.forEach((value, name) => copy.set(ownedString(name), value === null ? null : ownedString(value)));
  return copy;
}
