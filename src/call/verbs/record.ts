/**
 * <Record>, as Twilio documents it: a beep (playBeep), then the caller's audio until `timeout`
 * seconds of silence, a key of `finishOnKey`, `maxLength` seconds, or the hang-up. Then Twilio
 * requests `action` ("If no action is provided, <Record> will default to requesting the current
 * document's URL") with RecordingUrl, RecordingDuration, RecordingSid and Digits ("the key (if any)
 * pressed to end the recording or 'hangup' if the caller hung up"); after a hang-up the request is
 * still made, but nothing it answers can run. "There is one exception: if Twilio receives an empty
 * recording, it will not make a request to the 'action' URL. The current call flow will continue with
 * the next verb in the current TwiML document."
 * Capturing and silence detection are the leg's; the keys and maxLength are timed here.
 */
import { abortQuietly } from '../../kernel/index.js';
import type { RecordVerb } from '../../markup/index.js';
import { childController, interruptCause } from '../interruption.js';
import type { RecordingResult } from '../leg.js';
import { actionUrl, type VerbContext } from './verb-context.js';
import type { RecordEnd, VerbOutcome } from './verb-outcome.js';

export async function executeRecord(record: RecordVerb, context: VerbContext, signal: AbortSignal): Promise<VerbOutcome> {
  await context.leg.answer();
  if (signal.aborted) return { kind: 'interrupted' };
  const { clock, leg } = context;
  if (record.playBeep && (await leg.play({ kind: 'beep' }, signal)) === 'interrupted') return { kind: 'interrupted' };

  let end: RecordEnd | undefined;
  const stop = childController(signal);
  const stopListening = leg.onDigit((digit) => {
    if (end !== undefined || !record.finishOnKey.includes(digit)) return;
    end = { endedBy: 'key', key: digit };
    abortQuietly(stop.controller);
  });
  const maxTimer = clock.setTimeout(() => {
    end ??= { endedBy: 'max-length' };
    abortQuietly(stop.controller);
  }, record.maxLength * 1000);
  let recording: RecordingResult;
  try {
    recording = await leg.record(
      { silenceTimeoutSeconds: record.timeout, trimSilence: record.trim === 'trim-silence' },
      stop.controller.signal,
    );
  } finally {
    stopListening();
    clock.clearTimeout(maxTimer);
    stop.release();
  }

  const cause = interruptCause(signal);
  // An outside redirect abandons the verb; the new document takes over.
  if (cause === 'redirect') return { kind: 'interrupted' };
  if (cause === 'hangup') end = { endedBy: 'hangup' };
  end ??= { endedBy: 'silence' };
  if (recording.durationSeconds === 0) return cause === 'hangup' ? { kind: 'interrupted' } : { kind: 'next' };
  const url = actionUrl(record.action, context.documentUrl);
  if (url === undefined) return cause === 'hangup' ? { kind: 'interrupted' } : { kind: 'next' };
  return {
    kind: 'request',
    url,
    method: record.method,
    result: {
      verb: 'record',
      recordingSid: recording.recordingSid,
      recordingUrl: recording.recordingUrl,
      durationSeconds: recording.durationSeconds,
      ...end,
    },
    follow: cause !== 'hangup',
  };
}
