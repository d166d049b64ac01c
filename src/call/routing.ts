/**
 * Which application answers an inbound call (INTERFACE.md `routes`): the first route whose match fits,
 * by the dialled number (`to`), the Request-URI user (`user`), its domain (`domain`), or anything (`*`).
 */
import type { RouteConfig } from '../config/index.js';

export interface InboundAddress {
  /** Request-URI user part (the dialled number or extension), if any. */
  requestUser?: string;
  /** Request-URI host. */
  requestHost: string;
  /** To header URI user part. */
  toUser?: string;
}

/** Phone numbers compare without visual separators, so "+1 (555) 123-0000" matches "+15551230000". */
function normaliseNumber(value: string): string {
  return value.replace(/[\s().-]/g, '');
}

export function routeMatches(route: RouteConfig, address: InboundAddress): boolean {
  const match = route.match;
  switch (match.kind) {
    case 'any':
      return true;
    case 'to': {
      const wanted = normaliseNumber(match.value);
      return [address.toUser, address.requestUser].some((user) => user !== undefined && normaliseNumber(user) === wanted);
    }
    case 'user':
      return address.requestUser === match.value;
    case 'domain':
      return address.requestHost.toLowerCase() === match.value.toLowerCase();
  }
}

export function findRoute(routes: readonly RouteConfig[], address: InboundAddress): RouteConfig | undefined {
  return routes.find((route) => routeMatches(route, address));
}
