/**
 * Call recording: CallRecorder (mono mix or dual channel WAV, written as the call goes), Twilio's
 * trim-silence, and start-up recovery of recordings a crash left unfinished.
 */
export {
  CallRecorder,
  type CallRecorderOptions,
  type CallRecorderEvents,
  type CallRecorderStats,
  type RecordingChannels,
  type RecordingTrack,
  type RecordingResult,
} from './call-recorder.js';
export { trimWavSilence, audibleRange } from './trim-silence.js';
export { recoverRecordings, type RecoveredRecording } from './recover-recordings.js';
