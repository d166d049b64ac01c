import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import twilio from 'twilio';
import { getHeader, parseMessage, type SipRequest, type SipResponse } from '../../src/sip/message/index.js';
import { engineNodeFlags } from '../../src/cli/engine-node-flags.js';
import { WebhookApp } from '../e2e/support/harness.js';
import { assertSippPassed, requireSipp, runSipp } from '../support/sipp.js';
import { scratchDirectory } from '../support/scratch-directory.js';

const bin = join(import.meta.dirname, '../../bin/dialtone.mjs');
const built = join(import.meta.dirname, '../../dist/src/cli/main.js');

interface RunningDialtone {
  child: ChildProcess;
  /** What it wrote to stdout and stderr so far. */
  output(): string;
  errors(): string;
  /** Waits (up to 10 s) until `ready()` holds, failing if dialtone exits first. */
  until(ready: () => boolean): Promise<void>;
}

/**
 * `node [nodeFlags] bin/dialtone.mjs start ARGS` from the built CLI, with `env` over this environment;
 * with `asExecutable` the way an installed `dialtone` runs: the file itself, whose #! line chooses node
 * and its flags.
 */
function startDialtone(args: string[], options: { nodeFlags?: string[]; env?: NodeJS.ProcessEnv; asExecutable?: boolean } = {}): RunningDialtone {
  const [command, commandArgs] = options.asExecutable === true ? [bin, ['start', ...args]] : [process.execPath, [...(options.nodeFlags ?? []), bin, 'start', ...args]];
  const child = spawn(command, commandArgs, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  return {
    child,
    output: () => output,
    errors: () => errors,
    async until(ready) {
      for (let waited = 0; !ready() && waited < 200; waited++) {
        if (child.exitCode !== null) assert.fail(`dialtone exited early: ${errors}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

function optionsRequest(transport: 'UDP' | 'TCP', port: number, branch: string, method = 'OPTIONS'): Buffer {
  return Buffer.from(
    [
      `${method} sip:+15551230000@127.0.0.1 SIP/2.0`,
      `Via: SIP/2.0/${transport} 127.0.0.1:${port};branch=z9hG4bK${branch};rport`,
      'Max-Forwards: 70',
      'From: <sip:probe@127.0.0.1>;tag=p1',
      'To: <sip:+15551230000@127.0.0.1>',
      `Call-ID: ${branch}@probe`,
      `CSeq: 1 ${method}`,
      `Contact: <sip:probe@127.0.0.1:${port}>`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

async function udpExchange(target: number, method: string, branch: string): Promise<SipResponse> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  try {
    socket.send(optionsRequest('UDP', socket.address().port, branch, method), target, '127.0.0.1');
    for (;;) {
      const [data] = (await once(socket, 'message')) as [Buffer];
      const parsed = parseMessage(data);
      if (parsed.ok && parsed.message.kind === 'response' && parsed.message.status >= 200) return parsed.message;
    }
  } finally {
    socket.close();
  }
}

/**
 * An INVITE without SDP (a delayed offer): the engine's 200 carries its offer; our ACK carries no
 * answer, so the engine ends the call with a BYE (RFC 3326 Reason 488), which we answer.
 */
async function lateOfferWithoutAnswer(target: number): Promise<{ ok: SipResponse; bye: SipRequest }> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const port = socket.address().port;
  try {
    socket.send(optionsRequest('UDP', port, 'late1', 'INVITE'), target, '127.0.0.1');
    let ok: SipResponse | undefined;
    for (;;) {
      const [data] = (await once(socket, 'message')) as [Buffer];
      const parsed = parseMessage(data);
      if (!parsed.ok) continue;
      const message = parsed.message;
      if (message.kind === 'response' && message.status >= 200 && ok === undefined) {
        ok = message;
        const ack = [
          `ACK ${/<([^>]+)>/.exec(getHeader(message, 'Contact') ?? '')?.[1] ?? 'sip:127.0.0.1'} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKlate1ack;rport`,
          'Max-Forwards: 70',
          'From: <sip:probe@127.0.0.1>;tag=p1',
          `To: ${getHeader(message, 'To')}`,
          'Call-ID: late1@probe',
          'CSeq: 1 ACK',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n');
        socket.send(Buffer.from(ack), target, '127.0.0.1');
      } else if (message.kind === 'request' && message.method === 'BYE' && ok !== undefined) {
        const via = getHeader(message, 'Via') ?? '';
        const answer = [
          'SIP/2.0 200 OK',
          `Via: ${via}`,
          `From: ${getHeader(message, 'From')}`,
          `To: ${getHeader(message, 'To')}`,
          `Call-ID: ${getHeader(message, 'Call-ID')}`,
          `CSeq: ${getHeader(message, 'CSeq')}`,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n');
        // Sent before the socket closes (a close would drop a datagram still queued), or the engine's
        // BYE would retransmit until Timer F and the call would outlive the test.
        await new Promise<void>((resolve) => socket.send(Buffer.from(answer), target, '127.0.0.1', () => resolve()));
        return { ok, bye: message };
      }
    }
  } finally {
    socket.close();
  }
}

test('dialtone start serves SIP over UDP and TCP, keeps the default account, and stops on SIGTERM', { timeout: 30_000 }, async (t) => {
  assert.ok(existsSync(built), 'the CLI is built (npm test runs `npm run build` first)');
  const dir = await scratchDirectory(t, 'start');
  const config = join(dir, 'dialtone.yaml');
  await writeFile(config, 'sip:\n  listen: ["udp:127.0.0.1:0", "tcp:127.0.0.1:0"]\nhttp:\n  listen: "127.0.0.1:0"\n');
  const dialtone = startDialtone(['--config', config, '--data', join(dir, 'data'), '--voice-url', 'http://127.0.0.1:9/voice']);
  const { child } = dialtone;
  try {
    await dialtone.until(() => /SIP\s+tcp:/.test(dialtone.output()));
    const udpPort = Number(/SIP\s+udp:127\.0\.0\.1:(\d+)/.exec(dialtone.output())?.[1]);
    const tcpPort = Number(/SIP\s+tcp:127\.0\.0\.1:(\d+)/.exec(dialtone.output())?.[1]);
    assert.ok(udpPort > 0 && tcpPort > 0, dialtone.output());

    assert.match(dialtone.output(), /note: Node was started without --v8-pool-size=0/, 'run as `node bin/dialtone.mjs`, without the flag');
    const stored = JSON.parse(await readFile(join(dir, 'data', 'default-account.json'), 'utf8')) as { sid: string; authToken: string };
    assert.match(dialtone.output(), new RegExp(`account ${stored.sid}\\s+auth token ${stored.authToken}`));

    assert.equal((await udpExchange(udpPort, 'OPTIONS', 'o1')).status, 200);
    // An INVITE without an offer reaches the call engine (the webhook is down: it answers to speak
    // the error), which offers in its 200 and hangs up when the ACK brings no answer.
    const late = await lateOfferWithoutAnswer(udpPort);
    assert.equal(late.ok.status, 200);
    assert.match(late.ok.body.toString('utf8'), /^m=audio \d+ RTP\/AVP/m);
    assert.match(getHeader(late.bye, 'Reason') ?? '', /cause=488/);
    assert.equal((await udpExchange(udpPort, 'PING', 'x1')).status, 501);

    const tcp = net.connect(tcpPort, '127.0.0.1');
    await once(tcp, 'connect');
    tcp.write(optionsRequest('TCP', tcp.localPort ?? 0, 't1'));
    let received = Buffer.alloc(0);
    while (!received.includes('\r\n\r\n')) {
      const [chunk] = (await once(tcp, 'data')) as [Buffer];
      received = Buffer.concat([received, chunk]);
    }
    const parsed = parseMessage(received);
    assert.ok(parsed.ok && parsed.message.kind === 'response' && parsed.message.status === 200, received.toString());
    tcp.destroy();
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, dialtone.errors());
  assert.match(dialtone.output(), /SIGTERM: stopping/);
});

test('the dialtone executable starts Node with the engine\'s flags: V8 gets as many helper threads as the machine spares', { skip: process.platform !== 'linux', timeout: 30_000 }, async (t) => {
  const dir = await scratchDirectory(t, 'start');
  const config = join(dir, 'dialtone.yaml');
  await writeFile(config, 'sip:\n  listen: ["udp:127.0.0.1:0"]\nhttp:\n  listen: "127.0.0.1:0"\n');
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['NODE_OPTIONS'];
  const dialtone = startDialtone(['--config', config, '--data', join(dir, 'data')], { asExecutable: true, env });
  try {
    await dialtone.until(() => /SIP\s+udp:/.test(dialtone.output()));
    const commandLine = readFileSync(`/proc/${dialtone.child.pid}/cmdline`, 'utf8').split('\0');
    for (const flag of engineNodeFlags) assert.ok(commandLine.includes(flag), commandLine.join(' '));
    assert.doesNotMatch(dialtone.output(), /note: Node was started without/);
  } finally {
    dialtone.child.kill('SIGTERM');
  }
  const [code] = (await once(dialtone.child, 'exit')) as [number | null];
  assert.equal(code, 0, dialtone.errors());
});

/**
 * Runs `dialtone start` with V8 tracing its incremental marking (and marking often), and returns the
 * trace lines written after the engine said it was running: by then `dialtone start` has set its V8 flags.
 */
async function markingTraceAfterStart(t: TestContext, env: NodeJS.ProcessEnv): Promise<string[]> {
  const dir = await scratchDirectory(t, 'start');
  const config = join(dir, 'dialtone.yaml');
  await writeFile(config, 'sip:\n  listen: ["udp:127.0.0.1:0"]\nhttp:\n  listen: "127.0.0.1:0"\n');
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv['DIALTONE_CONCURRENT_MARKING'];
  Object.assign(childEnv, env);
  const dialtone = startDialtone(['--config', config, '--data', join(dir, 'data')], {
    nodeFlags: ['--trace-incremental-marking', '--stress-incremental-marking'],
    env: childEnv,
  });
  const afterStart = (): string[] => {
    const output = dialtone.output();
    const at = output.indexOf('Dialtone is running.');
    return at < 0 ? [] : output.slice(at).split('\n').filter((line) => line.includes('[IncrementalMarking]'));
  };
  try {
    // Three marking cycles started after the banner, or 10 s.
    await dialtone.until(() => afterStart().filter((line) => line.includes('Start marking')).length >= 3);
  } finally {
    dialtone.child.kill('SIGTERM');
  }
  await once(dialtone.child, 'exit');
  return afterStart();
}

test('concurrentMarking: false reaches V8: the engine marks without background threads; by default they mark beside it', { timeout: 60_000 }, async (t) => {
  const off = await markingTraceAfterStart(t, { DIALTONE_CONCURRENT_MARKING: 'false' });
  assert.ok(off.filter((line) => line.includes('Start marking')).length >= 3, off.join('\n'));
  assert.deepEqual(
    off.filter((line) => line.includes('on background threads')),
    [],
  );
  const byDefault = await markingTraceAfterStart(t, {});
  assert.ok(byDefault.filter((line) => line.includes('Start marking')).length >= 3, byDefault.join('\n'));
  assert.ok(byDefault.some((line) => line.includes('on background threads')), byDefault.join('\n'));
});

test('dialtone start refuses a bad configuration, naming the key', { timeout: 30_000 }, async (t) => {
  const dir = await scratchDirectory(t, 'start');
  const config = join(dir, 'bad.yaml');
  await writeFile(config, 'media:\n  portRange: [30000, 20]\n');
  const dialtone = startDialtone(['--config', config, '--data', dir]);
  const [code] = (await once(dialtone.child, 'exit')) as [number | null];
  assert.equal(code, 1);
  assert.match(dialtone.errors(), /media\.portRange/);
});

test('dialtone start --voice-url answers a SIPp call with <Say>, hangs up, and stops on SIGTERM', { timeout: 60_000 }, async (t) => {
  if (!requireSipp(t)) return;
  assert.ok(existsSync(built), 'the CLI is built (npm test runs `npm run build` first)');
  const app = await WebhookApp.start();
  const response = new twilio.twiml.VoiceResponse();
  response.say('Hello from the command line.');
  response.hangup();
  app.on('/voice', response.toString());
  const dir = await scratchDirectory(t, 'start');
  const config = join(dir, 'dialtone.yaml');
  await writeFile(config, 'sip:\n  listen: ["udp:127.0.0.1:0"]\nhttp:\n  listen: "127.0.0.1:0"\n');
  const dialtone = startDialtone(['--config', config, '--data', join(dir, 'data'), '--http-port', '0', '--voice-url', app.url('/voice')]);
  const { child } = dialtone;
  try {
    await dialtone.until(() => /SIP\s+udp:/.test(dialtone.output()));
    const udpPort = Number(/SIP\s+udp:127\.0\.0\.1:(\d+)/.exec(dialtone.output())?.[1]);
    assert.ok(udpPort > 0, dialtone.output());
    const result = await runSipp({
      scenario: join(import.meta.dirname, '../e2e/scenarios/uac-invite-200-wait-bye.xml'),
      remote: `127.0.0.1:${udpPort}`,
      transport: 'u1',
      calls: 1,
      timeoutMs: 30_000,
    });
    assertSippPassed(result, 1, 'SIPp against dialtone start');
    const voice = await app.waitFor('/voice');
    assert.equal(voice.params['CallStatus'], 'ringing');
    // The engine logs the call's end once its application and store writes are done.
    await dialtone.until(() => /"call finished"/.test(dialtone.errors()));
    assert.match(dialtone.errors(), /"call finished".*"status":"completed"/);
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = (await once(child, 'exit')) as [number | null];
  await app.close();
  assert.equal(code, 0, dialtone.errors());
});
