/** RFC 3264 §5.1 / RFC 4566 §6 direction attributes. */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

const SENDS: Record<MediaDirection, boolean> = { sendrecv: true, sendonly: true, recvonly: false, inactive: false };
const RECEIVES: Record<MediaDirection, boolean> = { sendrecv: true, sendonly: false, recvonly: true, inactive: false };

function fromFlags(send: boolean, receive: boolean): MediaDirection {
  return send ? (receive ? 'sendrecv' : 'sendonly') : receive ? 'recvonly' : 'inactive';
}

/** RFC 3264 §6.1: the answer mirrors the offer: sendonly ↔ recvonly, sendrecv and inactive stay. */
export function mirrorDirection(direction: MediaDirection): MediaDirection {
  return fromFlags(RECEIVES[direction], SENDS[direction]);
}

/** What both allow: we send only if both let us send, receive only if both let us receive. */
export function intersectDirections(a: MediaDirection, b: MediaDirection): MediaDirection {
  return fromFlags(SENDS[a] && SENDS[b], RECEIVES[a] && RECEIVES[b]);
}

export function directionSends(direction: MediaDirection): boolean {
  return SENDS[direction];
}

export function directionReceives(direction: MediaDirection): boolean {
  return RECEIVES[direction];
}

/** Parses an attribute value; anything else is not a direction. */
export function asMediaDirection(value: unknown): MediaDirection | undefined {
  return value === 'sendrecv' || value === 'sendonly' || value === 'recvonly' || value === 'inactive' ? value : undefined;
}
