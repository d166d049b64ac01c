/**
 * `dialtone demo` (src/cli/demo.ts runs it): a whole call on this machine with no other software (INTERFACE.md "Commands";
 * issue 6). The engine (127.0.0.1, ephemeral ports, a temporary data folder), the sample webhook app
 * and three built-in phones:
 *
 * ```
 *   caller ──INVITE──> engine ── /voice: <Say>, <Dial record> ──┬──INVITE──> alice  answers after 1 s; the
 *                                                                │                screening (/screen) asks her
 *                                                                │                to press 1; she does (/accept)
 *                                                                └──INVITE──> bob    rings; CANCELled when alice wins
 *   caller and alice talk (two tones) for ~3 s, recorded dual-channel; the caller hangs up;
 *   the Dial action (/after), the status callbacks and the recording callback arrive.
 * ```
 * `runDemo` returns what happened; the CLI formats it (formatDemoReport).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../config/index.js';
import { silentLogger, type Logger } from '../../kernel/index.js';
import { startEngine, type Engine } from '../../main.js';
import type { IncomingCall } from '../../sip/index.js';
import { DemoPhone, sleep } from './demo-phone.js';
import { SampleApp, type AppExchange } from './sample-app.js';
import { SipLadder, type LadderEntry } from './sip-ladder.js';

/** The demo's own account (AC + 32 hex). */
export const DEMO_ACCOUNT_SID = `AC${'de'.padEnd(32, '0')}`;
const DEMO_AUTH_TOKEN = 'dialtone-demo-token';

export interface DemoRecording {
  recordingSid: string;
  filePath: string;
  durationSeconds: number | null;
  channels: number;
  status: string;
}

export interface DemoResult {
  dataDir: string;
  engineSip: string;
  appBase: string;
  /** Which phone each Call-ID belongs to, in order of first appearance. */
  legs: Array<{ callId: string; label: string }>;
  ladder: LadderEntry[];
  exchanges: AppExchange[];
  recording: DemoRecording | undefined;
  /** Things that did not happen as planned (empty on a good run). */
  problems: string[];
}

export interface DemoOptions {
  /** Where the engine keeps its database and recordings; default a new temporary folder (kept). */
  dataDir?: string;
  /** The engine's logger; default silent. */
  logger?: Logger;
  /** Progress lines while the demo runs. */
  progress?: (line: string) => void;
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const progress = options.progress ?? (() => undefined);
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'dialtone-demo-')));
  const problems: string[] = [];
  const ladder = new SipLadder();
  const opened: Array<{ close(): Promise<void> }> = [];
  let engine: Engine | undefined;
  try {
    const caller = await DemoPhone.start('caller', ladder);
    opened.push(caller);
    const alice = await DemoPhone.start('alice', ladder);
    opened.push(alice);
    const bob = await DemoPhone.start('bob', ladder);
    opened.push(bob);

    let base = '';
    const events = 'initiated ringing answered completed';
    const app = await SampleApp.start({
      '/voice': () =>
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Connecting you.</Say>' +
        `<Dial action="${base}/after" record="record-from-answer-dual" timeout="10" recordingStatusCallback="${base}/recording-status">` +
        `<Sip url="${base}/screen" statusCallback="${base}/dial-status" statusCallbackEvent="${events}">${alice.uri}</Sip>` +
        `<Sip statusCallback="${base}/dial-status" statusCallbackEvent="${events}">${bob.uri}</Sip>` +
        '</Dial><Say>Goodbye.</Say></Response>',
      '/screen': () =>
        '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        `<Gather numDigits="1" action="${base}/accept" timeout="5"><Say>Press 1</Say></Gather><Hangup/></Response>`,
      '/accept': () => '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
      '/after': () => '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Thanks for calling.</Say><Hangup/></Response>',
      '/status': () => '',
      '/dial-status': () => '',
      '/recording-status': () => '',
    });
    base = app.base;
    opened.push(app);

    const config = resolveConfig(
      {
        sip: { listen: ['udp:127.0.0.1:0'] },
        http: { listen: '127.0.0.1:0' },
        dataDir,
        accounts: [{ sid: DEMO_ACCOUNT_SID, authToken: DEMO_AUTH_TOKEN }],
        routes: [{ account: DEMO_ACCOUNT_SID, match: '*', voiceUrl: app.url('/voice'), statusCallback: app.url('/status') }],
      },
      {},
      {},
    );
    engine = await startEngine(config, { logger: options.logger ?? silentLogger });
    const sip = engine.sipListening()[0]!;
    const engineSip = `127.0.0.1:${sip.port}`;
    progress(`engine: SIP udp ${engineSip}, data ${dataDir}; sample app ${app.base}`);

    // alice answers after a second, then presses 1 once the screening prompt reaches her.
    const aliceDone = new Promise<void>((resolve) => {
      alice.ua.onIncomingCall((incoming: IncomingCall) => {
        void (async () => {
          try {
            const answered = await alice.answer(incoming, 1000);
            await until(() => answered.packetsReceived > 0 || answered.call.isEnded, 15_000);
            await sleep(300);
            await alice.press(answered.port, '1');
            await app.until((all) => all.some((exchange) => exchange.path === '/accept'), 15_000);
            alice.sendTone(answered.port, 660);
          } catch (error) {
            problems.push(`alice: ${String(error)}`);
          } finally {
            resolve();
          }
        })();
      });
    });
    // bob rings and never answers (the engine CANCELs him when alice wins).
    bob.ua.onIncomingCall((incoming: IncomingCall) => incoming.progress(180));

    progress('caller: calling the engine');
    const placed = await caller.call(`sip:+15550100@${engineSip}`);
    caller.sendTone(placed.port, 440);
    const accepted = await app.until((all) => all.some((exchange) => exchange.path === '/accept'), 30_000);
    if (!accepted) problems.push('alice never accepted the screening (/accept was not requested)');
    await aliceDone;
    progress('bridged: caller and alice talk for 3 s');
    await sleep(3000);
    if (!placed.call.isEnded) await placed.call.bye().catch((error: unknown) => problems.push(`caller BYE: ${String(error)}`));
    progress('caller hung up; waiting for the callbacks');

    const settled = await app.until(
      (all) =>
        all.some((exchange) => exchange.path === '/after') &&
        all.some((exchange) => exchange.path === '/status' && exchange.params['CallStatus'] === 'completed') &&
        all.filter((exchange) => exchange.path === '/dial-status' && exchange.params['CallbackSource'] !== undefined && isFinal(exchange.params['CallStatus'])).length >= 2 &&
        all.some((exchange) => exchange.path === '/recording-status' && exchange.params['RecordingStatus'] === 'completed'),
      20_000,
    );
    if (!settled) problems.push('not every callback arrived within 20 s');

    const recordingSid = [...app.exchanges].reverse().find((exchange) => exchange.params['RecordingSid'] !== undefined)?.params['RecordingSid'];
    let recording: DemoRecording | undefined;
    if (recordingSid !== undefined) {
      const row = await engine.store.recordings.get(recordingSid);
      if (row !== undefined) {
        recording = {
          recordingSid,
          filePath: row.filePath,
          durationSeconds: row.duration,
          channels: row.channels,
          status: row.status,
        };
      }
    }
    if (recording === undefined) problems.push('no recording was made');

    const legs: DemoResult['legs'] = [];
    for (const entry of ladder.entries) {
      if (legs.some((leg) => leg.callId === entry.callId)) continue;
      legs.push({ callId: entry.callId, label: entry.party === 'caller' ? 'caller → engine (inbound leg)' : `engine → ${entry.party} (dialled leg)` });
    }
    return { dataDir, engineSip, appBase: app.base, legs, ladder: [...ladder.entries], exchanges: [...app.exchanges], recording, problems };
  } finally {
    await engine?.close();
    for (const resource of opened.reverse()) await resource.close().catch(() => undefined);
  }
}

function isFinal(status: string | undefined): boolean {
  return status !== undefined && ['completed', 'busy', 'failed', 'no-answer', 'canceled'].includes(status);
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}
