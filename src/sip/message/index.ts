/**
 * The SIP message layer (RFC 3261 §7, §19, §20, §25): parse and serialise requests and responses, URIs
 * and name-addrs, and the UAS's pre-processing checks (§8.2). Only the kernel is imported.
 */
export * from './types.js';
export { ParamList } from './param-list.js';
export { copyNameAddr, copyUri, copyVia, ownedNameAddr, ownedUri } from './copy-fields.js';
export { type ParseLimits, type SipParseError, type ParseResult, defaultParseLimits, parseKept, parseMessage } from './parse-message.js';
export { serializeMessage } from './serialize-message.js';
export { parseUri, parseUriDetailed, formatUri, type UriParseResult } from './sip-uri.js';
export { parseNameAddr, parseNameAddrDetailed, formatNameAddr, type NameAddrParseResult } from './name-addr.js';
export { getHeader, getHeaders, getListValues, listElements } from './get-header.js';
export { createResponse, createErrorResponse, type CreateResponseOptions } from './create-response.js';
export { createRawErrorResponse } from './create-raw-error-response.js';
export { checkRequestAsEndpoint, type EndpointCapabilities } from './check-request-as-endpoint.js';
export { reasonPhrase } from './reason-phrases.js';
export { canonicalHeaderName } from './header-names.js';
export { quote, unquote } from './header-scanner.js';
