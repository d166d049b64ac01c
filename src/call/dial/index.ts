/**
 * call/dial: <Dial> (ARCHITECTURE.md: "parallel and sequential racing, screening, results → action
 * parameters"). Today: one <Sip> noun, its INVITE, its child call and status callbacks, the bridge,
 * screening through CallScreening, and the Dial action's parameters.
 *
 * Hand-over to the runner: DialOutcome has VerbOutcome's shape with `result: DialResult`; once the
 * runner's VerbResult union includes DialResult and verbResultParameters maps it with
 * dialActionParameters, `(dial, verbContext, signal) => runDial(dial, { ...verbContext, ...deps }, signal)`
 * is the OtherExecutors `dial` entry.
 */
export { buildSipInvite, fallbackRegionName, userOf, type SipInviteBuild, type SipInviteContext } from './build-sip-invite.js';
export { buildNumberInvite, dialledNumber, type NumberInviteContext, type NumberInviteProblem } from './build-number-invite.js';
export { runDial, type DialContext, type DialOutcome } from './run-dial.js';
export { RecordingStatusCallbacks, type RecordingDescription } from './recording-status-callbacks.js';
export {
  dialActionParameters,
  recordingStatusCallbackParameters,
  screeningParameters,
  statusCallbackParameters,
  type ProgressFacts,
  type RecordingFacts,
} from './dial-parameters.js';
export {
  defaultResponseStatusTable,
  dialCallStatusOf,
  legStatusOf,
  type DialCallStatus,
  type DialRecordingFacts,
  type DialResult,
  type LegEnd,
  type ResponseStatusTable,
} from './dial-result.js';
export type {
  Bridge,
  CallbackSink,
  CallScreening,
  LegAnswer,
  LegFailure,
  LegProgress,
  ChildCallControl,
  ChildCallRegistry,
  DialMedia,
  DialRecording,
  DialRecordingRequest,
  DialRecordingSession,
  FinalCallbackRequest,
  OutboundDialer,
  OutboundLeg,
  OutboundLegEvents,
  OutboundLegRequest,
  RequestUri,
  ScreeningRequest,
  ScreeningVerdict,
  StatusCallbackRequest,
} from './dial-ports.js';
