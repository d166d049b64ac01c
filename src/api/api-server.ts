/**
 * The REST API in Twilio's 2010-04-01 shape, on fastify. `createApiServer` returns the instance
 * without listening (main.ts calls `listen`; tests call `inject`). The same routes answer under
 * Twilio's base path and the SignalWire (LaML) and RestComm aliases; the URIs in each answer use the
 * base path the request came in on, so a client following `next_page_uri` stays on its alias.
 */
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AccountConfig } from '../config/index.js';
import { ErrorCodes, isDialtoneError, type Logger } from '../kernel/index.js';
import { type CallRecord, isTerminalCallStatus, redactText, type Store } from '../store/index.js';
import { ApiError, ApiErrorCodes, invalidParameter, notFound, twilioErrorBody } from './api-error.js';
import { createCredentialVerifier, parseBasicAuthorization } from './basic-auth.js';
import type { CallControl } from './call-control.js';
import { callUpdateFromForm, createCallRequestFromForm } from './call-parameters.js';
import { Form } from './form.js';
import {
  callFilterFromForm,
  notificationFilterFromForm,
  pageEnvelope,
  pageRequestFromForm,
  recordingFilterFromForm,
} from './list-parameters.js';
import { accountPath, callJson, notificationJson, recordingJson, type UriBase } from './twilio-json.js';

/** Base paths the API answers under: Twilio's, SignalWire's LaML, RestComm's. */
export const apiPrefixes = ['/2010-04-01', '/api/laml/2010-04-01', '/restcomm/2012-04-24'] as const;

export interface ApiServerOptions {
  store: Store;
  accounts: readonly AccountConfig[];
  control: CallControl;
  /** Base of absolute links (`media_url`), e.g. `http://198.51.100.7:8080`. */
  publicUrl: string;
  logger: Logger;
  /**
   * Whether recording media (`/Recordings/RE….wav`) needs Basic auth too. Default false, as Twilio's
   * default: media URLs are unguessable capability links that applications fetch without credentials.
   */
  requireAuthForMedia?: boolean;
  /** Largest request body in bytes; default 1 MiB. */
  bodyLimit?: number;
}

interface AccountParams {
  AccountSid: string;
}
interface FileParams extends AccountParams {
  file: string;
}
interface CallSubParams extends AccountParams {
  callSid: string;
}

const allMethods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;
type Method = (typeof allMethods)[number];
type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** Splits `CA….json` into the SID and the extension (`json`, `wav`, `mp3`, or '' when none). */
function splitFile(file: string): { sid: string; extension: string } {
  const dot = file.lastIndexOf('.');
  return dot < 0 ? { sid: file, extension: '' } : { sid: file.slice(0, dot), extension: file.slice(dot + 1).toLowerCase() };
}

function pathOf(request: FastifyRequest): string {
  const question = request.url.indexOf('?');
  return question < 0 ? request.url : request.url.slice(0, question);
}

function bodyForm(request: FastifyRequest): Form {
  const body = request.body;
  if (body instanceof Form) return body;
  if (body !== null && typeof body === 'object') {
    // JSON bodies, for convenience: each value (or each element of an array) as a string.
    const entries: [string, string][] = [];
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item !== undefined && item !== null) entries.push([name, String(item)]);
      }
    }
    return new Form(entries);
  }
  return Form.empty();
}

export function createApiServer(options: ApiServerOptions): FastifyInstance {
  const { store, control } = options;
  const logger = options.logger.child({ component: 'api' });
  const verify = createCredentialVerifier(options.accounts);
  const publicUrl = options.publicUrl;
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
  });

  // Twilio takes forms; JSON is accepted for convenience; anything else is 415.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Form.parse(body as string));
  });

  app.setErrorHandler((error: unknown, request, reply) => {
    let apiError: ApiError;
    if (error instanceof ApiError) {
      apiError = error;
    } else if (isDialtoneError(error) && error.code === ErrorCodes.storePageTokenInvalid) {
      apiError = invalidParameter('PageToken is not valid');
    } else if (isDialtoneError(error) && error.code >= 20000 && error.code < 40000) {
      // The engine refused with one of Twilio's codes (21xxx for a request it cannot place).
      apiError = new ApiError(400, error.code, error.message);
    } else if (
      typeof error === 'object' && error !== null && 'statusCode' in error &&
      typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500
    ) {
      // fastify's own: malformed JSON, unsupported media type (415), body too large (413)…
      apiError = new ApiError(error.statusCode, ApiErrorCodes.invalidParameter, error instanceof Error ? error.message : 'Bad request');
    } else {
      logger.error('api request failed', {
        route: request.routeOptions.url,
        method: request.method,
        error: redactText(error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
        ...(isDialtoneError(error) ? { code: error.code } : {}),
      });
      apiError = new ApiError(500, ApiErrorCodes.internal, 'Internal Server Error');
    }
    void reply.code(apiError.status).headers(apiError.headers).send(apiError.toBody());
  });

  app.setNotFoundHandler((request, reply) => {
    const error = notFound(pathOf(request));
    void reply.code(404).send(error.toBody());
  });

  // Stopping. Node's server.close() reaps only idle keep-alive connections: one whose response is still
  // going out when close() starts (a handler awaiting the engine, a WAV still streaming from disk after
  // the client has every byte) would stay open for the keep-alive timeout (72 s) and hold close() — and
  // the engine's stop — with it. So responses sent while closing say `Connection: close`, and a
  // connection whose response finishes while closing is ended.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) void reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (request) => {
    if (closing) request.raw.socket.destroySoon();
  });

  // Requests are logged by route pattern, method, account and status: never bodies or query strings,
  // which may carry SipAuthPassword.
  app.addHook('onResponse', async (request, reply) => {
    logger.debug('api request', {
      method: request.method,
      route: request.routeOptions.url ?? 'unknown',
      accountSid: (request.params as Partial<AccountParams> | undefined)?.AccountSid,
      status: reply.statusCode,
    });
  });

  for (const prefix of apiPrefixes) {
    void app.register(
      async (scope) => {
        scope.addHook('onRequest', async (request) => {
          const params = request.params as Partial<FileParams>;
          const config = request.routeOptions.config as { media?: boolean } | undefined;
          const reading = request.method === 'GET' || request.method === 'HEAD';
          if (reading && config?.media === true && options.requireAuthForMedia !== true && params.file !== undefined) {
            if (splitFile(params.file).extension !== 'json') return;
          }
          const accountSid = verify(parseBasicAuthorization(request.headers.authorization));
          // Twilio authenticates against the account in the path: other credentials, even valid ones
          // for another account, get the same 401 as wrong ones.
          if (accountSid === undefined || accountSid !== params.AccountSid) {
            throw new ApiError(401, ApiErrorCodes.authenticate, 'Authenticate', {
              'www-authenticate': 'Basic realm="Dialtone API"',
            });
          }
        });
        registerRoutes(scope, prefix);
      },
      { prefix: `${prefix}/Accounts/:AccountSid` },
    );
  }

  function resource(scope: FastifyInstance, url: string, handlers: Partial<Record<Method, Handler>>, config: Record<string, unknown> = {}): void {
    for (const method of allMethods) {
      const handler = handlers[method];
      scope.route({
        method,
        url,
        config,
        // Only GET gets fastify's automatic HEAD route.
        exposeHeadRoute: method === 'GET',
        handler:
          handler ??
          (async (_request, reply) => {
            void reply.code(405).send(twilioErrorBody(405, ApiErrorCodes.methodNotAllowed, 'Method not allowed'));
          }),
      });
    }
  }

  function registerRoutes(scope: FastifyInstance, prefix: string): void {
    const base = (request: FastifyRequest): UriBase => ({ prefix, accountSid: (request.params as AccountParams).AccountSid });

    async function callOfAccount(request: FastifyRequest, sid: string): Promise<CallRecord> {
      const call = await store.calls.get(sid);
      if (call === undefined || call.accountSid !== (request.params as AccountParams).AccountSid) throw notFound(pathOf(request));
      return call;
    }

    // Calls
    resource(scope, '/Calls.json', {
      GET: async (request) => {
        const form = Form.fromUrl(request.url);
        const page = await store.calls.list(callFilterFromForm(base(request).accountSid, form), pageRequestFromForm(form));
        return pageEnvelope('calls', `${accountPath(base(request))}/Calls.json`, form, page, page.items.map((call) => callJson(call, base(request))));
      },
      POST: async (request, reply) => {
        const createRequest = createCallRequestFromForm(base(request).accountSid, bodyForm(request));
        const call = await control.createCall(createRequest);
        logger.info('call created through the API', { callSid: call.sid, accountSid: call.accountSid });
        return reply.code(201).send(callJson(call, base(request)));
      },
    });

    resource(scope, '/Calls/:file', {
      GET: async (request) => {
        const { sid, extension } = splitFile((request.params as FileParams).file);
        if (extension !== 'json') throw notFound(pathOf(request));
        return callJson(await callOfAccount(request, sid), base(request));
      },
      POST: async (request) => {
        const { sid, extension } = splitFile((request.params as FileParams).file);
        if (extension !== 'json') throw notFound(pathOf(request));
        const call = await callOfAccount(request, sid);
        const update = callUpdateFromForm(bodyForm(request));
        if (update === undefined) return callJson(call, base(request));
        const notLive = new ApiError(
          400,
          ApiErrorCodes.callNotLive,
          update.kind === 'end' ? 'Call is not in-progress. Cannot update status.' : 'Call is not in-progress. Cannot redirect.',
        );
        if (isTerminalCallStatus(call.status)) throw notLive;
        const result = await control.updateCall(sid, update);
        if (result === 'not-found' || result === 'not-live') throw notLive;
        logger.info('call updated through the API', { callSid: sid, update: update.kind });
        return callJson(result, base(request));
      },
    });

    resource(scope, '/Calls/:callSid/Recordings.json', {
      GET: async (request) => {
        const { callSid } = request.params as CallSubParams;
        await callOfAccount(request, callSid);
        const form = Form.fromUrl(request.url);
        const page = await store.recordings.list(recordingFilterFromForm(base(request).accountSid, form, callSid), pageRequestFromForm(form));
        return pageEnvelope('recordings', `${accountPath(base(request))}/Calls/${callSid}/Recordings.json`, form, page,
          page.items.map((recording) => recordingJson(recording, base(request), publicUrl)));
      },
    });

    resource(scope, '/Calls/:callSid/Notifications.json', {
      GET: async (request) => {
        const { callSid } = request.params as CallSubParams;
        await callOfAccount(request, callSid);
        const form = Form.fromUrl(request.url);
        const page = await store.notifications.list(notificationFilterFromForm(base(request).accountSid, form, callSid), pageRequestFromForm(form));
        return pageEnvelope('notifications', `${accountPath(base(request))}/Calls/${callSid}/Notifications.json`, form, page,
          page.items.map((notification) => notificationJson(notification, base(request))));
      },
    });

    // Recordings
    resource(scope, '/Recordings.json', {
      GET: async (request) => {
        const form = Form.fromUrl(request.url);
        const page = await store.recordings.list(recordingFilterFromForm(base(request).accountSid, form), pageRequestFromForm(form));
        return pageEnvelope('recordings', `${accountPath(base(request))}/Recordings.json`, form, page,
          page.items.map((recording) => recordingJson(recording, base(request), publicUrl)));
      },
    });

    async function recordingOfAccount(request: FastifyRequest, sid: string) {
      const recording = await store.recordings.get(sid);
      if (recording === undefined || recording.accountSid !== (request.params as AccountParams).AccountSid) throw notFound(pathOf(request));
      return recording;
    }

    resource(
      scope,
      '/Recordings/:file',
      {
        GET: async (request, reply) => {
          const { sid, extension } = splitFile((request.params as FileParams).file);
          if (extension === 'json') return recordingJson(await recordingOfAccount(request, sid), base(request), publicUrl);
          // Twilio serves WAV for `.wav` and for no extension; Dialtone records WAV only.
          if (extension !== 'wav' && extension !== '') throw notFound(pathOf(request));
          const recording = await recordingOfAccount(request, sid);
          const size = await stat(recording.filePath).then(
            (info) => (info.isFile() ? info.size : undefined),
            () => undefined,
          );
          if (size === undefined) throw notFound(pathOf(request));
          return reply
            .header('content-type', 'audio/x-wav')
            .header('content-length', String(size))
            .header('content-disposition', `inline; filename="${recording.sid}.wav"`)
            .send(createReadStream(recording.filePath));
        },
        DELETE: async (request, reply) => {
          const { sid, extension } = splitFile((request.params as FileParams).file);
          if (extension !== 'json' && extension !== '') throw notFound(pathOf(request));
          await recordingOfAccount(request, sid);
          const removed = await store.recordings.delete(sid);
          if (removed === undefined) throw notFound(pathOf(request));
          try {
            await rm(removed.filePath, { force: true });
          } catch (error) {
            logger.warn('recording file not removed', { recordingSid: sid, error: error instanceof Error ? error.message : String(error) });
          }
          logger.info('recording deleted through the API', { recordingSid: sid });
          return reply.code(204).send();
        },
      },
      { media: true },
    );

    // Notifications
    resource(scope, '/Notifications.json', {
      GET: async (request) => {
        const form = Form.fromUrl(request.url);
        const page = await store.notifications.list(notificationFilterFromForm(base(request).accountSid, form), pageRequestFromForm(form));
        return pageEnvelope('notifications', `${accountPath(base(request))}/Notifications.json`, form, page,
          page.items.map((notification) => notificationJson(notification, base(request))));
      },
    });

    resource(scope, '/Notifications/:file', {
      GET: async (request) => {
        const { sid, extension } = splitFile((request.params as FileParams).file);
        if (extension !== 'json') throw notFound(pathOf(request));
        const notification = await store.notifications.get(sid);
        if (notification === undefined || notification.accountSid !== base(request).accountSid) throw notFound(pathOf(request));
        return notificationJson(notification, base(request));
      },
    });
  }

  return app;
}
