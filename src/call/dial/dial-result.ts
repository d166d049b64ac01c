/**
 * What a <Dial> came to, inside the engine (camelCase), and the one table from a leg's end to
 * DialCallStatus (INTERFACE.md: "the table is configuration, with these defaults").
 */
import type { SipHeader } from '../../markup/index.js';
import type { EndStatus } from '../call.js';
import type { LegFailure } from './dial-ports.js';

/** Seeds 003/004 and Twilio's <Dial>: the values of DialCallStatus. */
export type DialCallStatus = 'completed' | 'answered' | 'busy' | 'no-answer' | 'canceled' | 'failed';

/** The result the Dial action is requested with; shaped to join the runner's VerbResult union as is. */
export interface DialResult {
  verb: 'dial';
  dialCallStatus: DialCallStatus;
  /** The CA SID of the outbound leg. */
  dialCallSid: string;
  /** Whole seconds from the callee's answer to the end of the leg; 0 when it was not answered. */
  dialCallDurationSeconds: number;
  bridged: boolean;
  /** The Call-ID of the INVITE, when one was sent. */
  sipCallId?: string;
  /** The final SIP status of the INVITE (2xx, or the failure's code). */
  sipResponseCode?: number;
  /** Seed 004: "any X-headers returned in the final response to the SIP INVITE request". */
  sipHeaders: SipHeader[];
  /** `<Dial record>`: the recording, when one was made (RecordingUrl, RecordingSid, RecordingDuration). */
  recording?: DialRecordingFacts;
}

/** What the action request and the completed callback say of a <Dial> recording. */
export interface DialRecordingFacts {
  recordingSid: string;
  recordingUrl: string;
  durationSeconds: number;
}

/** A final SIP status the table sends somewhere other than `failed`. */
export type ResponseStatusTable = ReadonlyMap<number, Extract<DialCallStatus, 'busy' | 'no-answer' | 'failed'>>;

/** INTERFACE.md: "486, 600 → busy; 603 → busy"; every other final response → failed. */
export const defaultResponseStatusTable: ResponseStatusTable = new Map([
  [486, 'busy'],
  [600, 'busy'],
  [603, 'busy'],
]);

/** How an outbound leg ended, as runDial saw it. */
export type LegEnd =
  | { kind: 'answered'; bridged: boolean }
  /** `cancelledFor`: why we sent CANCEL, if we did: our ring timeout, or the caller's hang-up (or a REST cancel). */
  | { kind: 'failed'; failure: LegFailure; cancelledFor?: 'ring-timeout' | 'caller' };

/** INTERFACE.md's DialCallStatus table. */
export function dialCallStatusOf(end: LegEnd, table: ResponseStatusTable = defaultResponseStatusTable): DialCallStatus {
  // "2xx → completed (or answered when not bridged)"
  if (end.kind === 'answered') return end.bridged ? 'completed' : 'answered';
  const { failure } = end;
  // "our own ring timeout (CANCEL, 487) → no-answer; the caller hanging up or a REST cancel while
  // ringing → canceled". A CANCEL sent before any provisional waits for one (RFC 3261 §9.1), so a
  // leg we cancelled may also end by timing out; a real final response that crossed it still counts.
  if (end.cancelledFor !== undefined && (failure.cause === 'cancelled' || failure.cause === 'timeout')) {
    return end.cancelledFor === 'ring-timeout' ? 'no-answer' : 'canceled';
  }
  // "486, 600 → busy; 603 → busy; … everything else, DNS and transport failures included → failed"
  if (failure.cause === 'response') return table.get(failure.status) ?? 'failed';
  return 'failed';
}

/** INTERFACE.md: "The dial result, as DialCallStatus (and CallStatus of the leg)"; a leg that answered ends completed. */
export function legStatusOf(status: DialCallStatus): EndStatus {
  return status === 'answered' ? 'completed' : status;
}
