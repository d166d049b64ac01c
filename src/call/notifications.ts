/**
 * Where the engine reports what went wrong with an application (INTERFACE.md: "Each such failure is
 * recorded as a notification with Twilio's error code"). The shape follows Twilio's Notification
 * resource so the store keeps it as is; the wiring passes it to the notifications repository.
 */
export type NotificationLevel = 'error' | 'warning';

export interface NotificationInput {
  accountSid: string;
  callSid: string;
  /** Twilio's code (11200, 11205, 12100, 12200, 12300, 13xxx) or Dialtone's own 9xxxx. */
  errorCode: number;
  logLevel: NotificationLevel;
  messageText: string;
  requestUrl?: string;
  requestMethod?: string;
  requestVariables?: Record<string, string>;
  responseBody?: string;
}

export interface NotificationSink {
  /** Fire and forget from the call's side: a failing store is logged, never fails the call. */
  record(notification: NotificationInput): void | Promise<void>;
}
