/**
 * Twilio's REST error body (`{ code, message, more_info, status }`) and the codes this API answers
 * with. Handlers throw `ApiError`; the server's error handler turns it, and anything else, into the body.
 */

/** Twilio's error codes used by the REST API (https://www.twilio.com/docs/api/errors). */
export const ApiErrorCodes = {
  /** 400: a parameter is invalid (Twilio's generic "Invalid parameter"). */
  invalidParameter: 20001,
  /** 401: missing or wrong credentials. */
  authenticate: 20003,
  /** 405. */
  methodNotAllowed: 20004,
  /** 404. */
  notFound: 20404,
  /** 500. */
  internal: 20500,
  /** 400: No 'To' number is specified. */
  toMissing: 21201,
  /** 400: Url (or Twiml) missing or not a valid URL. */
  urlInvalid: 21205,
  /** 400: Invalid 'To' phone number. */
  toInvalid: 21211,
  /** 400: Invalid 'From' (caller) phone number. */
  fromInvalid: 21212,
  /** 400: No 'From' number is specified. */
  fromMissing: 21213,
  /** 400: ApplicationSid is not valid (Dialtone has no Applications). */
  applicationSidInvalid: 21218,
  /** 400: the call is not in a state that allows the update (not in progress / has ended). */
  callNotLive: 21220,
} as const;

export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  toBody(): TwilioErrorBody {
    return twilioErrorBody(this.status, this.code, this.message);
  }
}

export function twilioErrorBody(status: number, code: number, message: string): TwilioErrorBody {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

export function badRequest(code: number, message: string): ApiError {
  return new ApiError(400, code, message);
}

export function notFound(path: string): ApiError {
  return new ApiError(404, ApiErrorCodes.notFound, `The requested resource ${path} was not found`);
}

export function invalidParameter(message: string): ApiError {
  return badRequest(ApiErrorCodes.invalidParameter, message);
}
