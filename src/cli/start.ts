/**
 * `dialtone start [--config FILE] [--voice-url URL] [--sip-port N] [--http-port N] [--data DIR]`:
 * runs the engine until SIGINT/SIGTERM, then closes it (a second signal exits at once).
 */
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { type ConfigFlags, loadConfig, v8FlagsFor } from '../config/index.js';
import { createJsonLogger, isDialtoneError } from '../kernel/index.js';
import { type Engine, startEngine } from '../main.js';
import { formatEndpoint } from '../sip/transport/index.js';
import { missingEngineNodeFlags } from './engine-node-flags.js';
import type { Command, CommandIo } from './main.js';

function parseStartArgs(args: string[]): { configFile?: string; flags: ConfigFlags } {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      'voice-url': { type: 'string' },
      'sip-port': { type: 'string' },
      'http-port': { type: 'string' },
      data: { type: 'string' },
    },
    strict: true,
  });
  const flags: ConfigFlags = {};
  if (values['voice-url'] !== undefined) flags.voiceUrl = values['voice-url'];
  // Ports stay strings here so the configuration check names the flag in its message.
  if (values['sip-port'] !== undefined) flags.sipPort = Number(values['sip-port']);
  if (values['http-port'] !== undefined) flags.httpPort = Number(values['http-port']);
  if (values.data !== undefined) flags.dataDir = values.data;
  return values.config === undefined ? { flags } : { configFile: values.config, flags };
}

function describe(engine: Engine, io: CommandIo): void {
  io.stdout('Dialtone is running.\n');
  for (const endpoint of engine.sipListening()) io.stdout(`  SIP  ${formatEndpoint(endpoint)}\n`);
  const http = engine.httpListening();
  if (http !== undefined) io.stdout(`  HTTP ${http.address.includes(':') ? `[${http.address}]` : http.address}:${http.port}  (REST API at /2010-04-01/Accounts/…)\n`);
  for (const account of engine.accounts) {
    const token = engine.createdDefaultAccount ? account.authToken : '(kept in the data folder)';
    io.stdout(`  account ${account.sid}  auth token ${token}\n`);
  }
  for (const route of engine.routes) io.stdout(`  route ${route.match.kind === 'any' ? '*' : `${route.match.kind}=${route.match.value}`} → ${route.voiceMethod} ${route.voiceUrl}\n`);
  if (engine.routes.length === 0) io.stdout('  no routes: inbound calls get 404 (give --voice-url URL or routes in --config)\n');
  const missing = missingEngineNodeFlags(process.execArgv, process.env['NODE_OPTIONS']);
  if (missing.length > 0) {
    io.stdout(`  note: Node was started without ${missing.join(' ')} (\`dialtone\` and \`npm start\` pass it): V8 runs 4 helper threads, which lengthen the post-dial delay on a small machine\n`);
  }
}

export const startCommand: Command = async (args, io) => {
  let parsed: ReturnType<typeof parseStartArgs>;
  try {
    parsed = parseStartArgs(args);
  } catch (error) {
    io.stderr(`dialtone start: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const logger = createJsonLogger((process.env['DIALTONE_LOG_LEVEL'] as 'debug' | 'info' | 'warn' | 'error' | undefined) ?? 'info', io.stderr);
  let engine: Engine;
  try {
    const config = await loadConfig(parsed.configFile, process.env, parsed.flags);
    // Before the engine starts: V8 reads the marking flag each time it starts marking the old generation.
    for (const flag of v8FlagsFor(config)) setFlagsFromString(flag);
    engine = await startEngine(config, { logger });
  } catch (error) {
    const message = isDialtoneError(error) ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error);
    io.stderr(`dialtone start: ${message}\n`);
    return 1;
  }
  describe(engine, io);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      io.stdout(`\n${signal}: stopping (again to exit at once)\n`);
      process.once('SIGINT', () => process.exit(130));
      // INTERFACE.md: "Ctrl-C drains: no new calls, live calls go on up to a grace period, then clean hang-up."
      const live = engine.calls.size;
      if (live > 0) io.stdout(`${live} call(s) in progress: waiting for them to end (up to the drain period), then hanging up\n`);
      engine
        .drain()
        .then(() => engine.close())
        .then(resolve, (error: unknown) => {
          logger.error('shutdown failed', { error: String(error) });
          resolve();
        });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
};
