/**
 * What a verb executor hands back to the document runner. The runner alone fetches documents, so a
 * verb that leads elsewhere (Redirect, an action URL) says where and with what result.
 */
import type { HttpMethod } from '../../markup/index.js';
import type { DialResult } from '../dial/dial-result.js';

export type RecordEnd = { endedBy: 'key'; key: string } | { endedBy: 'silence' | 'max-length' | 'hangup' };

export type VerbResult =
  | { verb: 'redirect' }
  | { verb: 'gather'; digits: string; finishedOnKey?: string }
  | ({ verb: 'record'; recordingSid: string; recordingUrl: string; durationSeconds: number } & RecordEnd)
  | DialResult;

export type VerbOutcome =
  /** Go on with the next verb of the document. */
  | { kind: 'next' }
  /** The call is over (Hangup, Reject): run nothing more. */
  | { kind: 'ended' }
  /** The AbortSignal fired (caller hang-up, outside redirect); the runner knows why. */
  | { kind: 'interrupted' }
  /**
   * Request `url` with the verb's result. `follow` false: the call is already gone (Record after the
   * caller hung up), so Twilio sends the request but runs nothing it answers.
   */
  | { kind: 'request'; url: string; method: HttpMethod; result: VerbResult; follow: boolean };
