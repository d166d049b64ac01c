export { computeSignature, type WebhookParams } from './signature.js';
export {
  createWebhookClient,
  isRetryableFailure,
  requestUrl,
  WebhookErrorCodes,
  type HttpMethod,
  type WebhookClient,
  type WebhookClientOptions,
  type WebhookFailure,
  type WebhookOutcome,
  type WebhookRequest,
  type WebhookSuccess,
} from './webhook-client.js';
