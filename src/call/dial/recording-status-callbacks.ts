/**
 * The recording status callbacks of one recording (a `<Dial record>`, a REST call's Record=true):
 * Twilio's `in-progress` when it starts, `completed` when it stopped with audio or `absent` when
 * nothing was kept, each sent only when the subscription's events name it, numbered from 0.
 */
import type { HttpMethod, RecordingStatusEvent } from '../../markup/index.js';
import type { WebhookParameters } from '../webhook-parameters.js';
import { recordingStatusCallbackParameters, type RecordingFacts } from './dial-parameters.js';

export interface RecordingStatusSubscription {
  url: string;
  method: HttpMethod;
  events: readonly RecordingStatusEvent[];
}

/** One callback request to queue. */
export interface RecordingStatusRequest {
  status: RecordingStatusEvent;
  recordingSid: string;
  sequenceNumber: number;
  url: string;
  method: HttpMethod;
  params: WebhookParameters;
}

/** What every callback of the recording repeats. */
export type RecordingDescription = Omit<RecordingFacts, 'recordingSid' | 'recordingUrl' | 'status' | 'durationSeconds'>;

/** The recording itself, once it has started. */
export interface StartedRecordingFacts {
  recordingSid: string;
  recordingUrl: string;
}

export class RecordingStatusCallbacks {
  private sequenceNumber = 0;

  constructor(
    private readonly subscription: RecordingStatusSubscription | undefined,
    private readonly send: (request: RecordingStatusRequest) => void,
  ) {}

  started(recording: StartedRecordingFacts, description: RecordingDescription): void {
    this.report('in-progress', recording, description);
  }

  stopped(recording: StartedRecordingFacts, description: RecordingDescription, durationSeconds: number): void {
    this.report(durationSeconds > 0 ? 'completed' : 'absent', recording, description, durationSeconds);
  }

  private report(status: RecordingStatusEvent, recording: StartedRecordingFacts, description: RecordingDescription, durationSeconds?: number): void {
    const subscription = this.subscription;
    if (subscription === undefined || !subscription.events.includes(status)) return;
    this.send({
      status,
      recordingSid: recording.recordingSid,
      sequenceNumber: this.sequenceNumber++,
      url: subscription.url,
      method: subscription.method,
      params: recordingStatusCallbackParameters({
        ...description,
        // Named, not spread: a session object may carry them as getters.
        recordingSid: recording.recordingSid,
        recordingUrl: recording.recordingUrl,
        status,
        ...(durationSeconds === undefined ? {} : { durationSeconds }),
      }),
    });
  }
}
