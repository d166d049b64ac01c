/**
 * The REST API in Twilio's 2010-04-01 shape (Calls, Recordings, Notifications), Basic auth, Twilio's
 * error bodies, and the SignalWire and RestComm path aliases. main.ts builds it with
 * `createApiServer({ store, accounts, control, publicUrl, logger })` and calls `listen` on the result;
 * the call engine implements `CallControl`.
 */
export { createApiServer, apiPrefixes, type ApiServerOptions } from './api-server.js';
export type {
  CallControl,
  CreateCallRequest,
  CallRecordingRequest,
  CallUpdate,
  HttpMethod,
  StatusCallbackEvent,
  RecordingStatusEvent,
  MachineDetection,
} from './call-control.js';
export { ApiError, ApiErrorCodes, twilioErrorBody, type TwilioErrorBody } from './api-error.js';
export { createCredentialVerifier, parseBasicAuthorization, type Credentials } from './basic-auth.js';
export { rfc2822 } from './twilio-json.js';
