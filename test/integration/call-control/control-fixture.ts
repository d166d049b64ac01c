// The engine's CallControl over real sockets on 127.0.0.1: a store in a temp folder with its callback
// dispatcher, our UserAgent, media ports, the webhook client, and the application as a local HTTP
// server (the e2e harness's WebhookApp). SIPp plays the called party in each test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCallControl, createUaMediaDialer, LiveCalls, mediaDialerOver, outboundDialExecutors, type EngineCallControl, type OutboundCallRequest } from '../../../src/call/adapters/api/index.js';
import { createCallScreening, createDialWiring, MediaServices } from '../../../src/call/adapters/index.js';
import type { AccountConfig, TrunkConfig } from '../../../src/config/index.js';
import { silentLogger, systemClock, type Logger } from '../../../src/kernel/index.js';
import type { SpeechSynthesizer } from '../../../src/media/speech/index.js';
import { UserAgent } from '../../../src/sip/index.js';
import { CallbackDispatcher, openStore, type DeliverCallback, type Store } from '../../../src/store/index.js';
import { createWebhookClient, isRetryableFailure, type WebhookClient } from '../../../src/webhook/index.js';
import { WebhookApp } from '../../e2e/support/harness.js';

export const ACCOUNT_SID = 'AC' + 'c0ffee00'.repeat(4);
export const AUTH_TOKEN = 'call-control-secret';
export const accounts: AccountConfig[] = [{ sid: ACCOUNT_SID, authToken: AUTH_TOKEN, enhancedSip: true }];

/** 300 ms of a 440 Hz tone for any text: <Say> without eSpeak's start-up. */
export const toneSpeech = (sampleRate: number): SpeechSynthesizer => ({
  async synthesize() {
    const samples = new Int16Array(Math.round(sampleRate * 0.3));
    for (let i = 0; i < samples.length; i++) samples[i] = Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / sampleRate));
    return { samples, sampleRate };
  },
  async close() {},
});

export interface ControlFixture {
  control: EngineCallControl;
  liveCalls: LiveCalls;
  store: Store;
  app: WebhookApp;
  ua: UserAgent;
  close(): Promise<void>;
}

/**
 * `ua`: this folder's createUaMediaDialer; `dial-wiring`: the <Dial> adapters' dialer (createDialWiring)
 * wrapped by mediaDialerOver, as main.ts would share one INVITE implementation.
 */
export type DialerKind = 'ua' | 'dial-wiring';

export async function startControlFixture(options: { trunks?: TrunkConfig[]; logger?: Logger; dialer?: DialerKind } = {}): Promise<ControlFixture> {
  const logger = options.logger ?? (process.env['CONTROL_LOG'] === '1' ? stderrLogger({}) : silentLogger);
  const clock = systemClock;
  const dir = await mkdtemp(join(tmpdir(), 'dialtone-call-control-'));
  const store = await openStore(`sqlite:${join(dir, 'dialtone.db')}`, { clock, logger });
  const webhooks = createWebhookClient({ clock });
  const dispatcher = new CallbackDispatcher({ store, deliver: deliverThrough(webhooks), clock, logger, initialRetryDelayMs: 50 });
  dispatcher.start();
  const ua = await UserAgent.start({ transport: { listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }] }, clock, logger });
  const low = 46000 + Math.floor(Math.random() * 400) * 2;
  const media = new MediaServices({
    clock,
    logger,
    portRange: [low, low + 1998],
    bindAddress: '127.0.0.1',
    rtpTimeoutSeconds: 0,
    recordingsDir: join(dir, 'recordings'),
    recordings: store.recordings,
    publicUrl: 'http://127.0.0.1:8080',
    speech: toneSpeech,
  });
  const liveCalls = new LiveCalls();
  const wiring =
    options.dialer === 'dial-wiring'
      ? createDialWiring({
          ua,
          store,
          allocator: media.allocator,
          bindAddress: '127.0.0.1',
          publicAddress: '127.0.0.1',
          regions: [],
          clock,
          logger,
          children: liveCalls,
          screening: createCallScreening({ webhook: webhooks, accounts, media, store, clock, logger }),
        })
      : undefined;
  const control = createCallControl({
    store,
    accounts,
    trunks: options.trunks ?? [],
    regions: [],
    dialer: wiring === undefined ? createUaMediaDialer({ ua, media, sdpAddress: '127.0.0.1', logger }) : mediaDialerOver(wiring.dialer, media, logger),
    webhook: webhooks,
    liveCalls,
    clock,
    logger,
    // <Dial> in an outbound-api document, over the same <Dial> wiring.
    ...(wiring === undefined ? {} : { otherExecutors: outboundDialExecutors(wiring) }),
  });
  const app = await WebhookApp.start();
  return {
    control,
    liveCalls,
    store,
    app,
    ua,
    async close() {
      await control.close();
      await wiring?.idle();
      await ua.close();
      await media.close();
      await dispatcher.close();
      webhooks.close();
      await store.close();
      await app.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A createCall request with the API's defaults, as call-parameters.ts fills them in. */
export function callRequest(fields: Partial<OutboundCallRequest> & { to: string }): OutboundCallRequest {
  return {
    accountSid: ACCOUNT_SID,
    from: '+15551230000',
    method: 'POST',
    fallbackMethod: 'POST',
    statusCallbackEvents: ['completed'],
    statusCallbackMethod: 'POST',
    timeout: 60,
    record: false,
    ...fields,
  };
}

function deliverThrough(webhooks: WebhookClient): DeliverCallback {
  return async (entry) => {
    const outcome = await webhooks.request({ url: entry.url, method: entry.method, params: entry.params, authToken: AUTH_TOKEN });
    if (outcome.ok) return { ok: true };
    return { ok: false, retryable: isRetryableFailure(outcome), error: outcome.message, errorCode: outcome.code };
  };
}

function stderrLogger(fields: Record<string, unknown>): Logger {
  return {
    debug: () => undefined,
    info: (message, extra) => process.stderr.write(`${JSON.stringify({ message, ...fields, ...extra })}\n`),
    warn: (message, extra) => process.stderr.write(`${JSON.stringify({ level: 'warn', message, ...fields, ...extra })}\n`),
    error: (message, extra) => process.stderr.write(`${JSON.stringify({ level: 'error', message, ...fields, ...extra })}\n`),
    child: (more) => stderrLogger({ ...fields, ...more }),
  };
}
