/**
 * `Record=true` on POST /Calls.json (Twilio's RecordingSource `OutboundAPI`): the whole call, from the
 * answer to its end, in one recording listed under the call, made by the RecordingSession that
 * `<Dial record>` uses.
 *
 * What it hears is the call's MediaLeg, followed onto whichever port it uses: what the leg receives
 * (the called party) and what it sends through its port — prompts and digits, and while a <Dial>
 * runs, ringback and the dialled party's bridged audio (the port's 'sent' tap sees them all).
 *
 * Dual (RecordingChannels=dual): channel 1 (left) is the called party, channel 2 (right) what Dialtone
 * sends it. Twilio: "The first channel of a dual-channel recording contains the parent call and the
 * second channel contains the child call"; a REST call's parent leg is the called party, and what it
 * hears (the markup's audio, or a <Dial>'s child call) is the other side.
 * RecordingTrack: `inbound` keeps the called party alone, `outbound` what it hears alone; a single
 * track makes a mono file, as Twilio's ("When inbound or outbound audio track is recorded, the
 * resulting recording file will always be mono-channel").
 */
import type { HttpMethod, RecordingStatusEvent, RecordingTrack } from '../../../markup/index.js';
import { RecordingSession, type RecordableLeg, type RecordingSessionOptions } from '../dial/dial-recording.js';

/** How a REST call is recorded (the API's CallRecordingRequest, restated: `call` may not import `api`). */
export interface CallRecordingSettings {
  channels: 'mono' | 'dual';
  track: RecordingTrack;
  trimSilence: boolean;
  statusCallback?: { url: string; method: HttpMethod; events: readonly RecordingStatusEvent[] };
}

/** Starts recording `leg` for the call; rejects when the row or the file cannot be made. */
export async function startCallRecording(
  leg: RecordableLeg,
  call: { accountSid: string; callSid: string },
  settings: CallRecordingSettings,
  options: RecordingSessionOptions,
): Promise<RecordingSession> {
  const session = new RecordingSession(options, {
    ...call,
    source: 'OutboundAPI',
    channels: settings.track === 'both' ? settings.channels : 'mono',
    trimSilence: settings.trimSilence,
    track: settings.track,
  });
  await session.begin();
  session.follow(leg, (port) => {
    const untaps: Array<() => void> = [];
    if (settings.track !== 'outbound') untaps.push(session.tap(port, 'packet', 'caller', [port.format]));
    if (settings.track !== 'inbound') untaps.push(session.tap(port, 'sent', 'callee', [port.format]));
    return () => {
      for (const untap of untaps) untap();
    };
  });
  return session;
}
