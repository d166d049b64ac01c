/**
 * `<Dial record>` over the DialRecording port: when the recording starts (`record-from-ringing*` at
 * the first ringing, `record-from-answer*` when the callee answers and is connected), how many
 * channels (`-dual`: two), and the recordingStatusCallback events (`in-progress` when it starts,
 * `completed` or `absent` when it stops, as `recordingStatusCallbackEvent` subscribes).
 *
 *   idle ──atRinging()/atAnswer()──> recording ──stop()──> stopped   (stop() while idle: no recording)
 */
import { ErrorCodes } from '../../kernel/index.js';
import type { Dial } from '../../markup/index.js';
import { resolveUrl } from '../verbs/verb-context.js';
import { notify } from './dial-attempt.js';
import type { DialRecording, DialRecordingSession, OutboundLeg } from './dial-ports.js';
import type { DialRecordingFacts } from './dial-result.js';
import type { DialContext } from './run-dial.js';
import { RecordingStatusCallbacks, type RecordingDescription } from './recording-status-callbacks.js';

export class DialRecordingControl {
  private session: Promise<DialRecordingSession | undefined> | undefined;
  private stopped: Promise<DialRecordingFacts | undefined> | undefined;
  private startedAt = 0;
  private readonly fromRinging: boolean;
  private readonly channels: 'mono' | 'dual';
  private readonly callbacks: RecordingStatusCallbacks;

  constructor(
    private readonly dial: Dial,
    private readonly context: DialContext,
    private readonly port: DialRecording,
  ) {
    // Twilio: "record-from-ringing … record-from-answer … -dual: two channels, caller and callee".
    this.fromRinging = dial.record === 'record-from-ringing' || dial.record === 'record-from-ringing-dual';
    this.channels = dial.record.endsWith('-dual') ? 'dual' : 'mono';
    const subscription =
      dial.recordingStatusCallback === undefined
        ? undefined
        : { url: resolveUrl(dial.recordingStatusCallback, context.documentUrl), method: dial.recordingStatusCallbackMethod, events: dial.recordingStatusCallbackEvents };
    this.callbacks = new RecordingStatusCallbacks(subscription, ({ status, ...request }) => {
      try {
        context.callbacks.enqueue({ ...request, callSid: context.parent.sid, accountSid: context.accountSid });
      } catch (error) {
        context.logger.error('recording status callback could not be queued', { status, error: String(error) });
      }
    });
  }

  /** The Dial started ringing (the first provisional of any leg): record-from-ringing starts here, without a callee yet. */
  atRinging(): void {
    if (this.fromRinging && this.session === undefined && this.stopped === undefined) this.begin(undefined);
  }

  /** The callee answered and is about to be connected: record-from-answer starts; record-from-ringing takes the callee in. */
  atAnswer(callee: OutboundLeg): void {
    if (this.stopped !== undefined) return;
    if (this.session === undefined) {
      this.begin(callee);
      return;
    }
    void this.session.then((session) => {
      try {
        session?.addCallee(callee);
      } catch (error) {
        this.context.logger.error('the callee could not join the recording', { error: String(error) });
      }
    });
  }

  /** Ends the recording once; resolves with what the action and the completed callback report, if anything was recorded. */
  stop(): Promise<DialRecordingFacts | undefined> {
    if (this.stopped !== undefined) return this.stopped;
    const session = this.session;
    this.stopped = session === undefined ? Promise.resolve(undefined) : session.then((started) => (started === undefined ? undefined : this.end(started)));
    return this.stopped;
  }

  private begin(callee: OutboundLeg | undefined): void {
    this.startedAt = this.context.clock.now();
    const request = {
      accountSid: this.context.accountSid,
      callSid: this.context.parent.sid,
      channels: this.channels,
      trimSilence: this.dial.trim === 'trim-silence',
      track: this.dial.recordingTrack,
    };
    let pending: Promise<DialRecordingSession>;
    try {
      pending = this.port.start(request, this.context.leg, callee);
    } catch (error) {
      pending = Promise.reject(error);
    }
    this.session = pending.then(
      (session) => {
        this.callbacks.started(session, this.description());
        return session;
      },
      (error: unknown) => {
        this.context.logger.error('the <Dial> recording could not start', { error: String(error) });
        notify(this.context, ErrorCodes.recordingWriteFailed, 'error', `<Dial record="${this.dial.record}"> could not start recording: ${String(error)}`);
        return undefined;
      },
    );
  }

  private async end(session: DialRecordingSession): Promise<DialRecordingFacts | undefined> {
    try {
      const stopped = await session.stop();
      const facts = { recordingSid: stopped.recordingSid, recordingUrl: stopped.recordingUrl, durationSeconds: stopped.durationSeconds };
      this.callbacks.stopped(facts, this.description(), facts.durationSeconds);
      return facts;
    } catch (error) {
      this.context.logger.error('the <Dial> recording could not be finished', { error: String(error) });
      notify(this.context, ErrorCodes.recordingWriteFailed, 'error', `<Dial record="${this.dial.record}"> could not finish its recording: ${String(error)}`);
      return undefined;
    }
  }

  private description(): RecordingDescription {
    return {
      accountSid: this.context.accountSid,
      callSid: this.context.parent.sid,
      channels: this.channels === 'dual' ? 2 : 1,
      startedAt: this.startedAt,
      track: this.dial.recordingTrack,
    };
  }
}
